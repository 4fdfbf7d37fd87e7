//! Validated domain types. REST bodies, MCP tool arguments, imports and the UI all parse their
//! input into these types, so each rule is written once.

use std::fmt;

use serde::Serialize;

use crate::config::InputLimits;

/// Maximum slug length in characters.
pub const MAX_SLUG_LENGTH: usize = 200;
/// Maximum length of one folder segment.
pub const MAX_FOLDER_SEGMENT_LENGTH: usize = 100;
/// Maximum length of a search query.
pub const MAX_QUERY_LENGTH: usize = 1000;
/// Maximum length of a version message.
pub const MAX_MESSAGE_LENGTH: usize = 1000;
/// Maximum length of an access token name.
pub const MAX_TOKEN_NAME_LENGTH: usize = 100;

/// Slugs that would collide with routes of the web UI or the API.
const RESERVED_SLUGS: &[&str] = &[
    "api", "admin", "public", "static", "assets", "health", "status", "login", "logout", "auth",
    "mcp", "sse", "search", "new", "edit", "delete", "settings", "security", "metrics",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct ValidationError {
    pub field: &'static str,
    pub reason: String,
    kind: ErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Invalid,
    TooLong,
    ControlCharacter,
}

impl ValidationError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
            kind: ErrorKind::Invalid,
        }
    }

    fn too_long(field: &'static str, max: usize, actual: usize) -> Self {
        Self {
            field,
            reason: format!("must be at most {max} characters, got {actual}"),
            kind: ErrorKind::TooLong,
        }
    }

    fn control_character(field: &'static str) -> Self {
        Self {
            field,
            reason: "must not contain NUL or other control characters".to_owned(),
            kind: ErrorKind::ControlCharacter,
        }
    }

    /// Returns the stable error code, e.g. `invalid_title` or `title_too_long`.
    pub fn code(&self) -> &'static str {
        match (self.field, self.kind) {
            ("title", ErrorKind::TooLong) => "title_too_long",
            ("content", ErrorKind::TooLong) => "content_too_long",
            ("title", _) => "invalid_title",
            ("slug", _) => "invalid_slug",
            ("folder", _) => "invalid_folder",
            ("content", _) => "invalid_content",
            ("query", _) => "invalid_query",
            ("message", _) => "invalid_message",
            ("name", _) => "invalid_name",
            ("scope", _) => "invalid_scope",
            ("version", _) => "invalid_version",
            ("k", _) => "invalid_k",
            ("mode", _) => "invalid_mode",
            _ => "invalid_input",
        }
    }

    /// Content over the size limit maps to 413 rather than 422.
    pub fn is_too_large(&self) -> bool {
        self.field == "content" && self.kind == ErrorKind::TooLong
    }
}

/// Rejects C0 and C1 control characters; `allow_whitespace` keeps tab, newline and carriage return.
fn check_control_characters(
    field: &'static str,
    value: &str,
    allow_whitespace: bool,
) -> Result<(), ValidationError> {
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(allow_whitespace && matches!(c, '\t' | '\n' | '\r')));
    if bad {
        return Err(ValidationError::control_character(field));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl $name {
            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

/// An article title: trimmed, non-empty, at most `MAX_TITLE_LENGTH` characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);
string_newtype!(Title);

impl Title {
    pub fn parse(raw: &str, limits: &InputLimits) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new("title", "must not be empty"));
        }
        check_control_characters("title", trimmed, false)?;
        let length = trimmed.chars().count();
        if length > limits.max_title_length {
            return Err(ValidationError::too_long(
                "title",
                limits.max_title_length,
                length,
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// A URL slug: lowercase ASCII letters, digits and single hyphens, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);
string_newtype!(Slug);

impl Slug {
    /// Parses a slug as given by a client; a trailing `.md` (upstream's filename form) is accepted.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim();
        let value = value.strip_suffix(".md").unwrap_or(value);
        if value.is_empty() {
            return Err(ValidationError::new("slug", "must not be empty"));
        }
        check_control_characters("slug", value, false)?;
        let length = value.chars().count();
        if length > MAX_SLUG_LENGTH {
            return Err(ValidationError::too_long("slug", MAX_SLUG_LENGTH, length));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ValidationError::new(
                "slug",
                format!("{value:?} may contain only lowercase letters a-z, digits and hyphens"),
            ));
        }
        if value.starts_with('-') || value.ends_with('-') || value.contains("--") {
            return Err(ValidationError::new(
                "slug",
                format!("{value:?} must not start or end with a hyphen or contain `--`"),
            ));
        }
        if RESERVED_SLUGS.contains(&value) {
            return Err(ValidationError::new(
                "slug",
                format!("{value:?} is reserved; choose another slug"),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// Derives a slug from a title: ASCII-folded, lowercased, punctuation dropped. Titles with no
    /// usable character (for example only CJK text) fall back to `article`.
    pub fn from_title(title: &Title) -> Self {
        let mut slug = String::new();
        let mut pending_hyphen = false;
        for original in title.as_ref().chars() {
            let mut buffer = [0u8; 4];
            let folded = if original.is_ascii() {
                &*original.encode_utf8(&mut buffer)
            } else {
                fold_to_ascii(original)
            };
            for c in folded.chars() {
                if c.is_ascii_alphanumeric() {
                    if pending_hyphen && !slug.is_empty() {
                        slug.push('-');
                    }
                    pending_hyphen = false;
                    slug.push(c.to_ascii_lowercase());
                } else if c.is_whitespace() || c == '-' || c == '_' || c == '/' || c == '.' {
                    pending_hyphen = true;
                }
            }
            if slug.len() >= MAX_SLUG_LENGTH {
                break;
            }
        }
        slug.truncate(MAX_SLUG_LENGTH);
        let slug = slug.trim_end_matches('-').to_owned();
        if slug.is_empty() {
            return Self("article".to_owned());
        }
        if RESERVED_SLUGS.contains(&slug.as_str()) {
            return Self(format!("{slug}-article"));
        }
        Self(slug)
    }

    /// Returns this slug with a numeric suffix, used to resolve collisions: `intro-2`.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(MAX_SLUG_LENGTH - suffix.len());
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    pub fn filename(&self) -> String {
        format!("{}.md", self.0)
    }
}

/// Folds common non-ASCII Latin letters to ASCII, so `Café` becomes `cafe`; others become a space.
fn fold_to_ascii(c: char) -> &'static str {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => " ",
    }
}

/// A folder path such as `guides/rust`; the empty path is the root folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FolderPath(String);
string_newtype!(FolderPath);

impl FolderPath {
    pub fn root() -> Self {
        Self(String::new())
    }

    /// Parses a folder path: segments of letters, digits, `_`, `-`, `.` and spaces separated by
    /// `/`, with no empty, `.` or `..` segment and no leading or trailing `/`. A lone `/` is root.
    pub fn parse(raw: &str, limits: &InputLimits) -> Result<Self, ValidationError> {
        let value = raw.trim();
        if value.is_empty() || value == "/" {
            return Ok(Self::root());
        }
        check_control_characters("folder", value, false)?;
        if value.starts_with('/') || value.ends_with('/') {
            return Err(ValidationError::new(
                "folder",
                format!("{value:?} must not start or end with `/`; write it like `guides/rust`"),
            ));
        }
        let segments: Vec<&str> = value.split('/').collect();
        if segments.len() > limits.max_folder_depth {
            return Err(ValidationError::new(
                "folder",
                format!(
                    "{value:?} is {} levels deep; the maximum depth is {}",
                    segments.len(),
                    limits.max_folder_depth
                ),
            ));
        }
        for segment in &segments {
            if segment.is_empty() {
                return Err(ValidationError::new(
                    "folder",
                    format!("{value:?} contains an empty segment (`//`)"),
                ));
            }
            if *segment == "." || *segment == ".." {
                return Err(ValidationError::new(
                    "folder",
                    format!("{value:?} must not contain `.` or `..` segments"),
                ));
            }
            if segment.trim() != *segment {
                return Err(ValidationError::new(
                    "folder",
                    format!("segment {segment:?} must not start or end with a space"),
                ));
            }
            let length = segment.chars().count();
            if length > MAX_FOLDER_SEGMENT_LENGTH {
                return Err(ValidationError::new(
                    "folder",
                    format!(
                        "segment {segment:?} is {length} characters; the maximum is {MAX_FOLDER_SEGMENT_LENGTH}"
                    ),
                ));
            }
            if let Some(bad) = segment
                .chars()
                .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
            {
                return Err(ValidationError::new(
                    "folder",
                    format!(
                        "{value:?} contains {bad:?}; use letters, digits, `_`, `-`, `.`, spaces and `/`"
                    ),
                ));
            }
        }
        Ok(Self(value.to_owned()))
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns the number of segments; root has depth 0.
    pub fn depth(&self) -> usize {
        if self.is_root() {
            0
        } else {
            self.0.split('/').count()
        }
    }
}

/// Which folders a listing or search covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderFilter {
    /// Every folder.
    All,
    /// Articles directly in the root folder only (`""` or `/`).
    Root,
    /// The folder and all of its subfolders.
    Subtree(FolderPath),
}

impl FolderFilter {
    /// Parses upstream's folder argument: absent means all, `""` or `/` the root, else a subtree.
    pub fn parse(raw: Option<&str>, limits: &InputLimits) -> Result<Self, ValidationError> {
        match raw {
            None => Ok(Self::All),
            Some(raw) => {
                let folder = FolderPath::parse(raw, limits)?;
                Ok(if folder.is_root() {
                    Self::Root
                } else {
                    Self::Subtree(folder)
                })
            }
        }
    }

    /// Returns `(folder, include_subfolders)` for the store's SQL, or `None` for all folders.
    pub fn as_sql(&self) -> (Option<&str>, bool) {
        match self {
            Self::All => (None, true),
            Self::Root => (Some(""), false),
            Self::Subtree(folder) => (Some(folder.as_ref()), true),
        }
    }
}

/// Markdown content: at most `MAX_CONTENT_LENGTH` bytes, no NUL or control characters other
/// than tab and line breaks. Empty content is allowed (a title-only note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content(String);
string_newtype!(Content);

impl Content {
    pub fn parse(raw: &str, limits: &InputLimits) -> Result<Self, ValidationError> {
        if raw.len() > limits.max_content_length {
            return Err(ValidationError {
                field: "content",
                reason: format!(
                    "must be at most {} bytes, got {}",
                    limits.max_content_length,
                    raw.len()
                ),
                kind: ErrorKind::TooLong,
            });
        }
        check_control_characters("content", raw, true)?;
        Ok(Self(raw.to_owned()))
    }
}

/// A search query: trimmed, 1 to 1000 characters. Matching treats `%` and `_` literally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);
string_newtype!(SearchQuery);

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new("query", "must not be empty"));
        }
        check_control_characters("query", trimmed, false)?;
        let length = trimmed.chars().count();
        if length > MAX_QUERY_LENGTH {
            return Err(ValidationError::too_long("query", MAX_QUERY_LENGTH, length));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Returns the query as a `LIKE` pattern with `\`, `%` and `_` escaped, wrapped in `%`.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '\\' | '%' | '_') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// How many results a search returns: 1 to [`SearchLimit::MAX`], [`SearchLimit::DEFAULT`] when
/// not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchLimit(usize);

impl SearchLimit {
    pub const DEFAULT: usize = 5;
    pub const MAX: usize = 100;

    pub fn parse(raw: Option<i64>) -> Result<Self, ValidationError> {
        let Some(k) = raw else {
            return Ok(Self(Self::DEFAULT));
        };
        match usize::try_from(k) {
            Ok(k) if (1..=Self::MAX).contains(&k) => Ok(Self(k)),
            _ => Err(ValidationError::new(
                "k",
                format!("must be between 1 and {}, got {k}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for SearchLimit {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

/// How a search ranks articles.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Reciprocal rank fusion of the full-text and the semantic ranking.
    #[default]
    Hybrid,
    /// PostgreSQL full-text search; the title weighs more than the body.
    Fulltext,
    /// Cosine similarity between the query's embedding and each chunk's embedding.
    Semantic,
}

impl SearchMode {
    /// Parses `hybrid`, `fulltext` or `semantic` (case-insensitive); absent means hybrid.
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        match raw.map(|mode| mode.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("hybrid") => Ok(Self::Hybrid),
            Some("fulltext") | Some("full-text") => Ok(Self::Fulltext),
            Some("semantic") => Ok(Self::Semantic),
            Some(other) => Err(ValidationError::new(
                "mode",
                format!("{other:?} is not a search mode; use hybrid, fulltext or semantic"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hybrid => "hybrid",
            Self::Fulltext => "fulltext",
            Self::Semantic => "semantic",
        }
    }
}

/// An optional message recorded with a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMessage(String);
string_newtype!(VersionMessage);

impl VersionMessage {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        check_control_characters("message", trimmed, false)?;
        let length = trimmed.chars().count();
        if length > MAX_MESSAGE_LENGTH {
            return Err(ValidationError::too_long(
                "message",
                MAX_MESSAGE_LENGTH,
                length,
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// Parses a version number given as `3` or upstream's `v3`.
pub fn parse_version_id(raw: &str) -> Result<i32, ValidationError> {
    let digits = raw.trim().strip_prefix('v').unwrap_or(raw.trim());
    match digits.parse::<i32>() {
        Ok(version) if version >= 1 => Ok(version),
        _ => Err(ValidationError::new(
            "version",
            format!("{raw:?} is not a version; use a positive number such as `3` or `v3`"),
        )),
    }
}

/// The display name of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);
string_newtype!(TokenName);

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new("name", "a token name is required"));
        }
        check_control_characters("name", trimmed, false)?;
        let length = trimmed.chars().count();
        if length > MAX_TOKEN_NAME_LENGTH {
            return Err(ValidationError::too_long(
                "name",
                MAX_TOKEN_NAME_LENGTH,
                length,
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> InputLimits {
        InputLimits::default()
    }

    #[test]
    fn title_is_trimmed_and_bounded() {
        assert_eq!(
            Title::parse("  Hello  ", &limits()).unwrap().as_ref(),
            "Hello"
        );
        assert_eq!(
            Title::parse("   ", &limits()).unwrap_err().code(),
            "invalid_title"
        );
        let long = "x".repeat(501);
        assert_eq!(
            Title::parse(&long, &limits()).unwrap_err().code(),
            "title_too_long"
        );
        assert!(Title::parse("a\u{0}b", &limits()).is_err());
        assert!(Title::parse("two\nlines", &limits()).is_err());
    }

    #[test]
    fn slug_from_title_folds_and_collapses() {
        let title = |s: &str| Title::parse(s, &limits()).unwrap();
        assert_eq!(
            Slug::from_title(&title("Hello, World!")).as_ref(),
            "hello-world"
        );
        assert_eq!(
            Slug::from_title(&title("Café  crème -- 2024")).as_ref(),
            "cafe-creme-2024"
        );
        assert_eq!(Slug::from_title(&title("日本語")).as_ref(), "article");
        assert_eq!(Slug::from_title(&title("API")).as_ref(), "api-article");
        assert_eq!(Slug::from_title(&title("trailing -")).as_ref(), "trailing");
    }

    #[test]
    fn slug_parse_rejects_bad_forms() {
        assert_eq!(Slug::parse("intro.md").unwrap().as_ref(), "intro");
        for bad in [
            "", "UPPER", "a--b", "-a", "a-", "a b", "../x", "mcp", "a\u{0}",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn folder_rules() {
        let parse = |s: &str| FolderPath::parse(s, &limits());
        assert!(parse("").unwrap().is_root());
        assert!(parse("/").unwrap().is_root());
        assert_eq!(parse("guides/rust").unwrap().depth(), 2);
        for bad in ["/a", "a/", "a//b", "a/../b", "./a", "a/<b>", "a\u{7}"] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let deep = ["a"; 11].join("/");
        assert!(parse(&deep).is_err());
        assert!(parse(&["a"; 10].join("/")).is_ok());
    }

    #[test]
    fn query_escapes_like_wildcards() {
        let query = SearchQuery::parse(" 100%_done\\ ").unwrap();
        assert_eq!(query.like_pattern(), "%100\\%\\_done\\\\%");
    }

    #[test]
    fn content_limit_is_in_bytes_and_keeps_newlines() {
        let small = InputLimits {
            max_content_length: 4,
            ..InputLimits::default()
        };
        assert!(Content::parse("a\nb\t", &small).is_ok());
        let err = Content::parse("ééé", &small).unwrap_err();
        assert!(err.is_too_large());
        assert!(Content::parse("a\u{0}", &limits()).is_err());
    }

    #[test]
    fn search_limit_bounds() {
        assert_eq!(SearchLimit::parse(None).unwrap().get(), 5);
        assert_eq!(SearchLimit::parse(Some(1)).unwrap().get(), 1);
        assert_eq!(SearchLimit::parse(Some(100)).unwrap().get(), 100);
        for bad in [0, -1, 101, i64::MAX] {
            assert_eq!(
                SearchLimit::parse(Some(bad)).unwrap_err().code(),
                "invalid_k",
                "{bad}"
            );
        }
    }

    #[test]
    fn search_mode_names() {
        assert_eq!(SearchMode::parse(None).unwrap(), SearchMode::Hybrid);
        assert_eq!(
            SearchMode::parse(Some("FullText")).unwrap(),
            SearchMode::Fulltext
        );
        assert_eq!(
            SearchMode::parse(Some("semantic")).unwrap(),
            SearchMode::Semantic
        );
        assert_eq!(
            SearchMode::parse(Some("vector")).unwrap_err().code(),
            "invalid_mode"
        );
    }

    #[test]
    fn version_ids() {
        assert_eq!(parse_version_id("v3").unwrap(), 3);
        assert_eq!(parse_version_id("12").unwrap(), 12);
        assert!(parse_version_id("v0").is_err());
        assert!(parse_version_id("latest").is_err());
    }
}
