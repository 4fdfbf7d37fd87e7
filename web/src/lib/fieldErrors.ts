/** Maps API error codes to the form field they concern, so a message can be shown at that field. */

import { ApiError } from '../api/client';

export type ArticleField = 'title' | 'folder' | 'slug' | 'content' | 'message';

const FIELD_BY_CODE: Record<string, ArticleField> = {
  invalid_title: 'title',
  title_too_long: 'title',
  invalid_folder: 'folder',
  invalid_slug: 'slug',
  conflict: 'slug',
  invalid_content: 'content',
  content_too_long: 'content',
  invalid_message: 'message',
};

export interface FieldErrors {
  fields: Partial<Record<ArticleField, string>>;
  /** An error that belongs to no single field. */
  form: ApiError | null;
}

export function articleFieldErrors(error: ApiError): FieldErrors {
  const field = FIELD_BY_CODE[error.code];
  if (field) return { fields: { [field]: error.message }, form: null };
  return { fields: {}, form: error };
}
