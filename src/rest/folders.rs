//! `/api/folders`: list, rename (subfolders follow) and delete (contents move up one level).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::FolderPath;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store;

pub async fn list(
    _access: ReadAccess,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let folders = store::ask(&state.store, store::ListFolders {}).await?;
    Ok(HttpResponse::Ok().json(folders))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameBody {
    new_name: String,
}

fn existing_folder(raw: &str, state: &AppState) -> Result<FolderPath, ApiError> {
    let folder = FolderPath::parse(raw, &state.config.limits)?;
    if folder.is_root() {
        return Err(ApiError::bad_request(
            "invalid_folder",
            "the root folder cannot be renamed or deleted",
        ));
    }
    Ok(folder)
}

pub async fn rename(
    _access: WriteAccess,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RenameBody>,
) -> Result<HttpResponse, ApiError> {
    let from = existing_folder(&path, &state)?;
    let to = FolderPath::parse(&body.new_name, &state.config.limits)?;
    let moved = store::ask(
        &state.store,
        store::RenameFolder {
            from,
            to,
            max_depth: state.config.limits.max_folder_depth,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "success": true,
        "message": format!("Folder renamed successfully. {moved} articles updated."),
        "updatedCount": moved,
    })))
}

pub async fn delete(
    _access: WriteAccess,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let folder = existing_folder(&path, &state)?;
    let moved = store::ask(&state.store, store::DeleteFolder { folder }).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "success": true,
        "message": format!("Folder deleted successfully. {moved} articles updated."),
        "updatedCount": moved,
    })))
}
