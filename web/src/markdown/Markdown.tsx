/**
 * Renders article markdown: GitHub-flavoured (tables, task lists, strikethrough, autolinks),
 * highlighted code, and mermaid diagrams. Raw HTML in the source is not rendered, and URLs pass
 * through `markdownUrlTransform`, which keeps only safe schemes.
 */

import { lazy, Suspense, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import { Link } from 'react-router-dom';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';

import { CopyButton } from '../components/CopyButton';
import { articleSlugFromHref, isExternalLink, markdownUrlTransform } from './urls';

// The diagram component and mermaid itself load only when an article contains a diagram.
const MermaidDiagram = lazy(() => import('./MermaidDiagram').then((module) => ({ default: module.MermaidDiagram })));

interface HastNode {
  type: string;
  value?: string;
  tagName?: string;
  properties?: { className?: unknown };
  children?: HastNode[];
}

function textOf(node: HastNode): string {
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

function codeChild(node: HastNode | undefined): HastNode | undefined {
  return node?.children?.find((child) => child.type === 'element' && child.tagName === 'code');
}

function hasClass(node: HastNode | undefined, name: string): boolean {
  const className = node?.properties?.className;
  return Array.isArray(className) && className.includes(name);
}

export interface MarkdownProps {
  content: string;
  /** Turn links such as `other-article.md` into links to that article's page (signed-in views only). */
  linkArticles?: boolean;
}

export default function Markdown({ content, linkArticles = false }: MarkdownProps) {
  const components: Components = {
    a({ href, children, node: _node, ...rest }) {
      if (!href) return <span {...rest}>{children}</span>;
      const slug = linkArticles ? articleSlugFromHref(href) : null;
      if (slug) {
        return (
          <Link to={`/article/${slug}`} {...rest}>
            {children}
          </Link>
        );
      }
      if (isExternalLink(href)) {
        return (
          <a href={href} target="_blank" rel="noopener noreferrer" {...rest}>
            {children}
          </a>
        );
      }
      return (
        <a href={href} {...rest}>
          {children}
        </a>
      );
    },
    img({ src, alt, node: _node, ...rest }) {
      if (!src) return <span className="markdown-image-removed">{alt ? `[image: ${alt}]` : '[image]'}</span>;
      return <img src={src} alt={alt ?? ''} loading="lazy" referrerPolicy="no-referrer" {...rest} />;
    },
    pre({ node, children, ...rest }) {
      const code = codeChild(node as HastNode | undefined);
      if (hasClass(code, 'language-mermaid')) {
        const source = textOf(code as HastNode);
        return (
          <Suspense fallback={<p className="muted">Loading diagram…</p>}>
            <MermaidDiagram source={source} />
          </Suspense>
        );
      }
      return (
        <div className="code-block">
          {/* Focusable, so keyboard users can scroll long lines. */}
          <pre {...rest} tabIndex={0}>
            {children}
          </pre>
          {code && <CopyButton className="code-block__copy" text={textOf(code)} label="Copy code" />}
        </div>
      );
    },
    table({ children, node: _node, ...rest }) {
      return (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Table">
          <table {...rest}>{children}</table>
        </div>
      );
    },
    input({ node: _node, ...rest }: ComponentPropsWithoutRef<'input'> & { node?: unknown }) {
      if (rest.type === 'checkbox') {
        return <input {...rest} aria-label={rest.checked ? 'Done' : 'Not done'} />;
      }
      return <input {...rest} />;
    },
  };

  return (
    <div className="markdown-body">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[[rehypeHighlight, { plainText: ['mermaid', 'text', 'txt', 'plain'] }]]}
        urlTransform={markdownUrlTransform}
        components={components}
      >
        {content}
      </ReactMarkdown>
    </div>
  );
}
