//! `mcp-markdown-manager import DIR`: reads a folder of markdown files into the store.
//!
//! Subdirectories become folders. YAML frontmatter may set `title`, `folder`, `created` and
//! `public`; without a title the first `# ` heading is used, then the file name. Files are
//! written in batches, one transaction per batch, so a failed batch leaves nothing behind.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use sqlx::PgPool;

use crate::config::InputLimits;
use crate::domain::{Content, FolderPath, Slug, Title, VersionMessage};
use crate::store::StoreError;
use crate::store::articles::{self, ArticleChanges, NewArticle};

/// What to do when an imported article's slug is already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConflictPolicy {
    /// Keep the existing article and skip the file.
    Skip,
    /// Import under a new slug with a numeric suffix (`intro-2`).
    Rename,
    /// Replace the existing article's title, folder and content (as a new version).
    Overwrite,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub conflict: ConflictPolicy,
    pub dry_run: bool,
    pub batch_size: usize,
    /// Folder that every imported folder is placed under.
    pub base_folder: FolderPath,
    pub progress: bool,
}

/// One markdown file, parsed and validated.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub path: PathBuf,
    pub title: Title,
    pub slug: Slug,
    pub folder: FolderPath,
    pub content: Content,
    pub is_public: bool,
    pub no_rag: bool,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub scanned: usize,
    pub created: usize,
    pub renamed: usize,
    pub overwritten: usize,
    pub skipped: usize,
    pub failed: Vec<(PathBuf, String)>,
}

#[derive(Debug, Default, Deserialize)]
struct Frontmatter {
    title: Option<String>,
    folder: Option<String>,
    created: Option<yaml_serde::Value>,
    public: Option<bool>,
    slug: Option<String>,
    #[serde(rename = "noRag")]
    no_rag: Option<bool>,
}

/// Splits `---` frontmatter from the body. Line endings are already normalised to `\n`.
fn split_frontmatter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text.strip_prefix("---\n") else {
        return (None, text);
    };
    if let Some(end) = rest.find("\n---\n") {
        return (Some(&rest[..end]), &rest[end + 5..]);
    }
    if let Some(yaml) = rest.strip_suffix("\n---") {
        return (Some(yaml), "");
    }
    (None, text)
}

fn parse_created(value: &yaml_serde::Value) -> Option<DateTime<Utc>> {
    let text = match value {
        yaml_serde::Value::String(text) => text.clone(),
        other => yaml_serde::to_string(other).ok()?.trim().to_owned(),
    };
    if let Ok(time) = DateTime::parse_from_rfc3339(&text) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
}

/// Makes a directory name usable as a folder segment: disallowed characters become `-`.
fn folder_segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c| c == '-' || c == ' ' || c == '.');
    if trimmed.is_empty() {
        "folder".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn first_heading(body: &str) -> Option<&str> {
    let mut in_fence = false;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence && let Some(heading) = trimmed.strip_prefix("# ") {
            let heading = heading.trim().trim_end_matches('#').trim();
            if !heading.is_empty() {
                return Some(heading);
            }
        }
    }
    None
}

/// Names a file without a title: `README.md` and `index.md` take their directory's name (so a
/// tree of READMEs does not collapse into one slug), other files their own name.
fn fallback_title(root: &Path, path: &Path, stem: &str) -> String {
    let generic = ["readme", "index"].contains(&stem.to_ascii_lowercase().as_str());
    let directory = path
        .parent()
        .filter(|dir| *dir != root)
        .and_then(|dir| dir.file_name())
        .and_then(|name| name.to_str());
    match directory {
        Some(directory) if generic => directory.replace(['-', '_'], " "),
        _ => stem.replace(['-', '_'], " "),
    }
}

/// Parses one file relative to the import root.
pub fn parse_file(
    root: &Path,
    path: &Path,
    text: &str,
    options: &ImportOptions,
    limits: &InputLimits,
) -> Result<ParsedFile, String> {
    let normalised = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let (yaml, body) = split_frontmatter(&normalised);
    let frontmatter: Frontmatter = match yaml {
        Some(yaml) => {
            yaml_serde::from_str(yaml).map_err(|e| format!("invalid frontmatter: {e}"))?
        }
        None => Frontmatter::default(),
    };

    let stem = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("untitled");
    let raw_title = frontmatter
        .title
        .clone()
        .or_else(|| first_heading(body).map(str::to_owned))
        .unwrap_or_else(|| fallback_title(root, path, stem));
    let title = Title::parse(&raw_title, limits).map_err(|e| e.to_string())?;

    let folder_text = match &frontmatter.folder {
        Some(folder) => folder.clone(),
        None => {
            let relative_dir = path
                .parent()
                .and_then(|dir| dir.strip_prefix(root).ok())
                .unwrap_or(Path::new(""));
            relative_dir
                .components()
                .filter_map(|part| part.as_os_str().to_str())
                .map(folder_segment)
                .collect::<Vec<_>>()
                .join("/")
        }
    };
    let folder_text = match (options.base_folder.is_root(), folder_text.is_empty()) {
        (true, _) => folder_text,
        (false, true) => options.base_folder.to_string(),
        (false, false) => format!("{}/{folder_text}", options.base_folder),
    };
    let folder = FolderPath::parse(&folder_text, limits).map_err(|e| e.to_string())?;
    let content =
        Content::parse(body.trim_start_matches('\n'), limits).map_err(|e| e.to_string())?;

    let slug = match &frontmatter.slug {
        Some(slug) => Slug::parse(slug).map_err(|e| e.to_string())?,
        None => Slug::from_title(&title),
    };
    Ok(ParsedFile {
        path: path.to_owned(),
        slug,
        no_rag: frontmatter.no_rag.unwrap_or(false),
        title,
        folder,
        content,
        is_public: frontmatter.public.unwrap_or(false),
        created_at: frontmatter.created.as_ref().and_then(parse_created),
    })
}

/// Returns every `.md` file under `root`, sorted so imports are reproducible.
pub fn find_markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
        })
        .collect();
    files.sort();
    files
}

enum Planned {
    Create(ParsedFile, bool),
    Overwrite(ParsedFile),
}

/// Imports every markdown file under `root`.
pub async fn import_dir(
    pool: &PgPool,
    root: &Path,
    options: &ImportOptions,
    limits: &InputLimits,
) -> anyhow::Result<ImportSummary> {
    let files = find_markdown_files(root);
    let mut summary = ImportSummary {
        scanned: files.len(),
        ..ImportSummary::default()
    };
    let progress = if options.progress {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    // Plan first: parse every file and resolve slug conflicts against the store and each other.
    let mut taken: HashSet<String> = articles::all_slugs(pool).await?.into_iter().collect();
    let existing = taken.clone();
    let mut plan = Vec::new();
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                summary
                    .failed
                    .push((path.clone(), format!("cannot read file: {error}")));
                continue;
            }
        };
        let mut parsed = match parse_file(root, path, &text, options, limits) {
            Ok(parsed) => parsed,
            Err(reason) => {
                summary.failed.push((path.clone(), reason));
                continue;
            }
        };
        let slug = parsed.slug.to_string();
        if !taken.contains(&slug) {
            taken.insert(slug);
            plan.push(Planned::Create(parsed, false));
            continue;
        }
        match options.conflict {
            ConflictPolicy::Skip => summary.skipped += 1,
            ConflictPolicy::Overwrite if existing.contains(&slug) => {
                plan.push(Planned::Overwrite(parsed))
            }
            ConflictPolicy::Rename | ConflictPolicy::Overwrite => {
                let base = parsed.slug.clone();
                let mut n = 2;
                while taken.contains(base.with_suffix(n).as_ref()) {
                    n += 1;
                }
                parsed.slug = base.with_suffix(n);
                taken.insert(parsed.slug.to_string());
                plan.push(Planned::Create(parsed, true));
            }
        }
    }

    for batch in plan.chunks(options.batch_size.max(1)) {
        let mut created = 0;
        let mut renamed = 0;
        let mut overwritten = 0;
        let mut tx = pool.begin().await?;
        let mut batch_error = None;
        for item in batch {
            let result = match item {
                Planned::Create(file, was_renamed) => {
                    progress.set_message(file.path.display().to_string());
                    let new = NewArticle {
                        title: file.title.clone(),
                        slug: Some(file.slug.clone()),
                        folder: file.folder.clone(),
                        content: file.content.clone(),
                        is_public: file.is_public,
                        no_rag: file.no_rag,
                        message: VersionMessage::parse("Imported").ok(),
                        created_at: file.created_at,
                    };
                    if *was_renamed {
                        renamed += 1;
                    } else {
                        created += 1;
                    }
                    articles::create_in(&mut tx, new, "import")
                        .await
                        .map(|_| ())
                }
                Planned::Overwrite(file) => {
                    overwritten += 1;
                    let changes = ArticleChanges {
                        title: Some(file.title.clone()),
                        folder: Some(file.folder.clone()),
                        content: Some(file.content.clone()),
                        no_rag: None,
                        message: VersionMessage::parse("Imported (overwrite)").ok(),
                    };
                    articles::update_in(&mut tx, &file.slug, changes, None, "import")
                        .await
                        .map(|_| ())
                }
            };
            progress.inc(1);
            if let Err(error) = result {
                batch_error = Some((item_path(item), error));
                break;
            }
        }
        match batch_error {
            None if !options.dry_run => {
                tx.commit().await?;
                summary.created += created;
                summary.renamed += renamed;
                summary.overwritten += overwritten;
            }
            None => {
                tx.rollback().await?;
                summary.created += created;
                summary.renamed += renamed;
                summary.overwritten += overwritten;
            }
            Some((path, error)) => {
                tx.rollback().await?;
                let reason = match error {
                    StoreError::Database(_) => format!(
                        "{error}; the whole batch of {} files was rolled back",
                        batch.len()
                    ),
                    other => format!(
                        "{other}; the whole batch of {} files was rolled back",
                        batch.len()
                    ),
                };
                summary.failed.push((path, reason));
            }
        }
    }
    progress.finish_and_clear();
    Ok(summary)
}

fn item_path(item: &Planned) -> PathBuf {
    match item {
        Planned::Create(file, _) | Planned::Overwrite(file) => file.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ImportOptions {
        ImportOptions {
            conflict: ConflictPolicy::Skip,
            dry_run: false,
            batch_size: 100,
            base_folder: FolderPath::root(),
            progress: false,
        }
    }

    #[test]
    fn frontmatter_with_crlf() {
        let text = "---\r\ntitle: Hello There\r\nfolder: notes/daily\r\ncreated: 2024-05-01\r\npublic: true\r\n---\r\n# Ignored\r\nBody\r\n";
        let parsed = parse_file(
            Path::new("/r"),
            Path::new("/r/x/file.md"),
            text,
            &options(),
            &InputLimits::default(),
        )
        .unwrap();
        assert_eq!(parsed.title.as_ref(), "Hello There");
        assert_eq!(parsed.folder.as_ref(), "notes/daily");
        assert!(parsed.is_public);
        assert_eq!(
            parsed.created_at.unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert_eq!(parsed.content.as_ref(), "# Ignored\nBody\n");
    }

    #[test]
    fn title_falls_back_to_heading_then_file_name() {
        let limits = InputLimits::default();
        let heading = parse_file(
            Path::new("/r"),
            Path::new("/r/a/b/x.md"),
            "```\n# not this\n```\n# Real Title\n",
            &options(),
            &limits,
        )
        .unwrap();
        assert_eq!(heading.title.as_ref(), "Real Title");
        assert_eq!(heading.folder.as_ref(), "a/b");
        let name = parse_file(
            Path::new("/r"),
            Path::new("/r/my-notes_file.md"),
            "no heading",
            &options(),
            &limits,
        )
        .unwrap();
        assert_eq!(name.title.as_ref(), "my notes file");
        assert!(name.folder.is_root());
        let readme = parse_file(
            Path::new("/r"),
            Path::new("/r/pkg/zod/README.md"),
            "no heading",
            &options(),
            &limits,
        )
        .unwrap();
        assert_eq!(readme.title.as_ref(), "zod");
        let top = parse_file(
            Path::new("/r"),
            Path::new("/r/README.md"),
            "no heading",
            &options(),
            &limits,
        )
        .unwrap();
        assert_eq!(top.title.as_ref(), "README");
    }

    #[test]
    fn directory_names_are_cleaned_into_folder_segments() {
        assert_eq!(folder_segment("@types"), "types");
        assert_eq!(folder_segment("node_modules"), "node_modules");
        assert_eq!(folder_segment("a+b"), "a-b");
        assert_eq!(folder_segment("..."), "folder");
    }
}
