//! Markdown-aware chunking for embeddings.
//!
//! An article is split at its headings into sections, and each chunk keeps the path of
//! headings above it. Lines inside fenced code blocks are never headings, so a `# comment` in
//! a shell snippet stays code. A section longer than the chunk size is cut into windows of at
//! most `size` model tokens that overlap by about `overlap` tokens. Within the last quarter of
//! a window, a cut goes at a paragraph break, else a line break, else a sentence end.

use crate::embedding::TokenCounter;

/// Chunk length limits in model tokens; `overlap < size` (checked at startup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSettings {
    pub size: usize,
    pub overlap: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Position of the chunk in the article, from 0.
    pub index: usize,
    /// Headings above the chunk, outermost first, without `#` marks.
    pub heading_path: Vec<String>,
    /// The chunk's markdown, as written in the article.
    pub text: String,
}

/// Most tokens of title and headings put in front of a chunk's text when it is embedded.
const MAX_CONTEXT_TOKENS: usize = 64;

/// Splits `content` into chunks. An article with no body text gets one chunk with empty text,
/// so its title is still embedded.
pub fn chunk_markdown(
    content: &str,
    settings: ChunkSettings,
    tokens: &dyn TokenCounter,
) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for section in split_sections(content) {
        let body = section.body.trim_matches(|c: char| c == '\n' || c == '\r');
        if body.trim().is_empty() {
            continue;
        }
        for text in split_section(body, settings, tokens) {
            chunks.push(Chunk {
                index: chunks.len(),
                heading_path: section.heading_path.clone(),
                text,
            });
        }
    }
    if chunks.is_empty() {
        chunks.push(Chunk {
            index: 0,
            heading_path: Vec::new(),
            text: String::new(),
        });
    }
    chunks
}

/// Builds the text that is embedded for a chunk: the title and heading path as context, then
/// the chunk text. The context is cut to [`MAX_CONTEXT_TOKENS`], and further when the model's
/// input limit (`max_input_tokens`, with two special tokens) would otherwise cut the text.
pub fn embedding_input(
    title: &str,
    chunk: &Chunk,
    tokens: &dyn TokenCounter,
    max_input_tokens: Option<usize>,
) -> String {
    let title = title.trim();
    let mut context = title.to_owned();
    // A README's first heading usually repeats the title; it would only add noise.
    let headings: Vec<&str> = chunk
        .heading_path
        .iter()
        .map(String::as_str)
        .skip_while(|heading| heading.trim().eq_ignore_ascii_case(title))
        .collect();
    if !headings.is_empty() {
        context.push('\n');
        context.push_str(&headings.join(" > "));
    }
    let budget = match max_input_tokens {
        Some(limit) => MAX_CONTEXT_TOKENS.min(
            limit
                .saturating_sub(2)
                .saturating_sub(tokens.count(&chunk.text)),
        ),
        None => MAX_CONTEXT_TOKENS,
    };
    let spans = tokens.token_spans(&context);
    if spans.len() > budget {
        let end = match budget {
            0 => 0,
            n => spans[n - 1].1,
        };
        context.truncate(end);
    }
    match (context.trim().is_empty(), chunk.text.is_empty()) {
        (true, _) => chunk.text.clone(),
        (false, true) => context,
        (false, false) => format!("{context}\n\n{}", chunk.text),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    heading_path: Vec<String>,
    body: String,
}

/// An open fenced code block: its character (`` ` `` or `~`) and length.
#[derive(Debug, Clone, Copy)]
struct Fence {
    marker: char,
    length: usize,
}

/// Returns the fence that `line` opens, following CommonMark: at most three spaces of
/// indentation, then three or more backticks or tildes. A backtick fence's info string must
/// not contain a backtick.
fn opening_fence(line: &str) -> Option<Fence> {
    let rest = strip_indent(line)?;
    let marker = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = rest.chars().take_while(|c| *c == marker).count();
    if length < 3 {
        return None;
    }
    let info = &rest[length * marker.len_utf8()..];
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some(Fence { marker, length })
}

fn closes_fence(line: &str, fence: Fence) -> bool {
    let Some(rest) = strip_indent(line) else {
        return false;
    };
    let length = rest.chars().take_while(|c| *c == fence.marker).count();
    length >= fence.length && rest[length * fence.marker.len_utf8()..].trim().is_empty()
}

/// Removes up to three leading spaces; `None` when the line is indented four or more (an
/// indented code block in CommonMark).
fn strip_indent(line: &str) -> Option<&str> {
    let spaces = line.chars().take_while(|c| *c == ' ').count();
    (spaces <= 3 && !line[spaces..].starts_with('\t')).then(|| &line[spaces..])
}

/// Parses an ATX heading (`## Title ##`) into its level and text.
fn atx_heading(line: &str) -> Option<(usize, String)> {
    let rest = strip_indent(line)?;
    let level = rest.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with(' ') || after.starts_with('\t')) {
        return None;
    }
    let mut text = after.trim();
    // An optional closing sequence of `#` must be preceded by a space.
    let without_closing = text.trim_end_matches('#');
    if without_closing.is_empty() || without_closing.ends_with([' ', '\t']) {
        text = without_closing.trim_end();
    }
    Some((level, text.to_owned()))
}

/// Returns the level of a setext underline (`===` is 1, `---` is 2).
fn setext_underline(line: &str) -> Option<usize> {
    let rest = strip_indent(line)?.trim_end();
    let marker = rest.chars().next()?;
    if !(marker == '=' || marker == '-') || !rest.chars().all(|c| c == marker) {
        return None;
    }
    Some(if marker == '=' { 1 } else { 2 })
}

/// Returns whether `line` can be the text of a setext heading: a plain paragraph line, not a
/// list item, quote, table row or other block.
fn is_paragraph_line(line: &str) -> bool {
    let Some(rest) = strip_indent(line) else {
        return false;
    };
    let rest = rest.trim_end();
    if rest.is_empty() {
        return false;
    }
    let list_item = ["- ", "* ", "+ "]
        .iter()
        .any(|marker| rest.starts_with(marker))
        || rest.split_once(['.', ')']).is_some_and(|(number, tail)| {
            !number.is_empty()
                && number.len() <= 9
                && number.bytes().all(|b| b.is_ascii_digit())
                && (tail.is_empty() || tail.starts_with(' '))
        });
    !(list_item
        || rest.starts_with('>')
        || rest.starts_with('|')
        || rest.starts_with('<')
        || atx_heading(line).is_some()
        || opening_fence(line).is_some())
}

fn split_sections(content: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let mut fence: Option<Fence> = None;

    let finish = |sections: &mut Vec<Section>, stack: &[(usize, String)], body: &mut Vec<&str>| {
        sections.push(Section {
            heading_path: stack.iter().map(|(_, text)| text.clone()).collect(),
            body: body.join("\n"),
        });
        body.clear();
    };

    for line in content.lines() {
        if let Some(open) = fence {
            if closes_fence(line, open) {
                fence = None;
            }
            body.push(line);
            continue;
        }
        if let Some(open) = opening_fence(line) {
            fence = Some(open);
            body.push(line);
            continue;
        }
        let heading = atx_heading(line).or_else(|| {
            let level = setext_underline(line)?;
            let previous = body.last()?;
            let before = body.len().checked_sub(2).map(|i| body[i]);
            let starts_paragraph = before.is_none_or(|line| line.trim().is_empty());
            (is_paragraph_line(previous) && starts_paragraph)
                .then(|| (level, previous.trim().to_owned()))
        });
        let Some((level, text)) = heading else {
            body.push(line);
            continue;
        };
        if setext_underline(line).is_some() && atx_heading(line).is_none() {
            // The heading text is the paragraph line just added to the body.
            body.pop();
        }
        finish(&mut sections, &stack, &mut body);
        while stack.last().is_some_and(|(top, _)| *top >= level) {
            stack.pop();
        }
        stack.push((level, text));
    }
    finish(&mut sections, &stack, &mut body);
    sections
}

/// Cuts one section's text into windows of at most `settings.size` tokens.
fn split_section(body: &str, settings: ChunkSettings, tokens: &dyn TokenCounter) -> Vec<String> {
    let spans = tokens.token_spans(body);
    if spans.len() <= settings.size {
        return vec![body.to_owned()];
    }
    let size = settings.size.max(1);
    let count = spans.len();
    let mut pieces = Vec::new();
    let mut start = 0;
    loop {
        let hard_end = (start + size).min(count);
        let end = if hard_end == count {
            count
        } else {
            best_break(body, &spans, start + size * 3 / 4, hard_end)
        };
        pieces.push(body[spans[start].0..spans[end - 1].1].to_owned());
        if end == count {
            break;
        }
        // Step back by the overlap, then forward to the next word start, so the next chunk
        // does not begin in the middle of a word. The start always moves forward.
        let mut next = end.saturating_sub(settings.overlap).max(start + 1);
        while next < end && !starts_word(body, &spans, next) {
            next += 1;
        }
        start = next;
    }
    pieces
}

/// Picks the token index at which to end a window, between `min_end` and `hard_end`: the
/// latest paragraph break, else line break, else sentence end, else space between words.
fn best_break(body: &str, spans: &[(usize, usize)], min_end: usize, hard_end: usize) -> usize {
    let mut best = (0, hard_end);
    for end in (min_end.max(1)..=hard_end).rev() {
        let gap = &body[spans[end - 1].1..spans[end].0];
        let before = &body[spans[end - 1].0..spans[end - 1].1];
        let rank = if gap.contains("\n\n") {
            4
        } else if gap.contains('\n') {
            3
        } else if !gap.is_empty() && before.ends_with(['.', '!', '?', ':', ';']) {
            2
        } else if !gap.is_empty() {
            1
        } else {
            0
        };
        if rank > best.0 {
            best = (rank, end);
        }
        if rank == 4 {
            break;
        }
    }
    best.1
}

/// Returns whether token `index` begins a word: whitespace, a non-word character or the start
/// of the text comes before it.
fn starts_word(body: &str, spans: &[(usize, usize)], index: usize) -> bool {
    index == 0 || spans[index - 1].1 < spans[index].0 || {
        let previous = &body[spans[index - 1].0..spans[index - 1].1];
        !previous.ends_with(char::is_alphanumeric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::WordCounter;

    fn settings(size: usize, overlap: usize) -> ChunkSettings {
        ChunkSettings { size, overlap }
    }

    #[test]
    fn headings_build_a_path() {
        let content = "intro\n# A\ntext a\n## B\ntext b\n### C\ntext c\n## D\ntext d\n# E\ntext e";
        let chunks = chunk_markdown(content, settings(100, 10), &WordCounter);
        let paths: Vec<(Vec<String>, String)> = chunks
            .into_iter()
            .map(|chunk| (chunk.heading_path, chunk.text))
            .collect();
        let expect = |path: &[&str], text: &str| {
            (
                path.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                text.to_owned(),
            )
        };
        assert_eq!(
            paths,
            vec![
                expect(&[], "intro"),
                expect(&["A"], "text a"),
                expect(&["A", "B"], "text b"),
                expect(&["A", "B", "C"], "text c"),
                expect(&["A", "D"], "text d"),
                expect(&["E"], "text e"),
            ]
        );
    }

    #[test]
    fn hashes_in_code_fences_are_not_headings() {
        let content = "# Setup\n```sh\n# install it\nnpm i\n```\n~~~~\n## not a heading\n```\n~~~~\n## Real\nafter";
        let chunks = chunk_markdown(content, settings(100, 10), &WordCounter);
        assert_eq!(chunks.len(), 2, "{chunks:#?}");
        assert_eq!(chunks[0].heading_path, vec!["Setup"]);
        assert!(chunks[0].text.contains("# install it"));
        assert!(chunks[0].text.contains("## not a heading"));
        assert_eq!(chunks[1].heading_path, vec!["Setup", "Real"]);
    }

    #[test]
    fn unclosed_fence_runs_to_the_end() {
        let content = "# A\n```\n# inside\n";
        let chunks = chunk_markdown(content, settings(100, 10), &WordCounter);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].heading_path, vec!["A"]);
    }

    #[test]
    fn atx_heading_forms() {
        assert_eq!(atx_heading("## Title ##"), Some((2, "Title".to_owned())));
        assert_eq!(
            atx_heading("   # Indented"),
            Some((1, "Indented".to_owned()))
        );
        assert_eq!(atx_heading("#"), Some((1, String::new())));
        assert_eq!(atx_heading("# C#"), Some((1, "C#".to_owned())));
        assert_eq!(atx_heading("#hashtag"), None);
        assert_eq!(atx_heading("    # code"), None);
        assert_eq!(atx_heading("####### seven"), None);
    }

    #[test]
    fn setext_headings() {
        let content = "Title\n=====\nbody\n\nSub\n---\nmore\n\n- item\n---\nafter rule";
        let chunks = chunk_markdown(content, settings(100, 10), &WordCounter);
        assert_eq!(chunks[0].heading_path, vec!["Title"]);
        assert_eq!(chunks[0].text, "body");
        assert_eq!(chunks[1].heading_path, vec!["Title", "Sub"]);
        assert!(chunks[1].text.contains("- item\n---"), "{:?}", chunks[1]);
    }

    #[test]
    fn long_sections_overlap_and_respect_the_size() {
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let content = words.join(" ");
        let chunks = chunk_markdown(&content, settings(100, 20), &WordCounter);
        assert!(chunks.len() > 10, "{}", chunks.len());
        for chunk in &chunks {
            assert!(WordCounter.count(&chunk.text) <= 100, "{}", chunk.text);
        }
        for pair in chunks.windows(2) {
            let first: Vec<&str> = pair[0].text.split(' ').collect();
            let second: Vec<&str> = pair[1].text.split(' ').collect();
            let overlap = first.iter().filter(|w| second.contains(w)).count();
            assert!((1..=20).contains(&overlap), "overlap {overlap}");
        }
        assert!(chunks.last().unwrap().text.ends_with("w999"));
        let indexes: Vec<usize> = chunks.iter().map(|c| c.index).collect();
        assert_eq!(indexes, (0..chunks.len()).collect::<Vec<_>>());
    }

    #[test]
    fn cuts_prefer_paragraph_breaks() {
        let paragraph = |n: usize| vec!["word"; n].join(" ");
        let content = format!("{}\n\n{}", paragraph(85), paragraph(85));
        let chunks = chunk_markdown(&content, settings(100, 10), &WordCounter);
        assert_eq!(chunks[0].text, paragraph(85));
    }

    #[test]
    fn overlap_just_below_size_terminates() {
        let content = vec!["x"; 500].join(" ");
        let chunks = chunk_markdown(&content, settings(16, 15), &WordCounter);
        assert!(chunks.len() < 500, "{}", chunks.len());
        for chunk in &chunks {
            assert!(WordCounter.count(&chunk.text) <= 16);
        }
    }

    #[test]
    fn empty_article_gets_one_title_chunk() {
        let chunks = chunk_markdown("  \n\n", settings(100, 10), &WordCounter);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "");
        let input = embedding_input("Only a title", &chunks[0], &WordCounter, Some(256));
        assert_eq!(input, "Only a title");
    }

    #[test]
    fn embedding_input_has_title_and_headings() {
        let chunk = Chunk {
            index: 0,
            heading_path: vec!["Install".to_owned(), "Linux".to_owned()],
            text: "apt install foo".to_owned(),
        };
        let input = embedding_input("Foo", &chunk, &WordCounter, None);
        assert_eq!(input, "Foo\nInstall > Linux\n\napt install foo");
        let repeated = Chunk {
            heading_path: vec!["foo".to_owned(), "Install".to_owned()],
            ..chunk
        };
        let input = embedding_input("Foo", &repeated, &WordCounter, None);
        assert_eq!(input, "Foo\nInstall\n\napt install foo");
    }

    #[test]
    fn embedding_input_context_fits_the_model() {
        let chunk = Chunk {
            index: 0,
            heading_path: Vec::new(),
            text: vec!["t"; 250].join(" "),
        };
        let title = vec!["title"; 50].join(" ");
        let input = embedding_input(&title, &chunk, &WordCounter, Some(256));
        assert_eq!(WordCounter.count(&input), 254);
        let no_room = embedding_input(&title, &chunk, &WordCounter, Some(200));
        assert_eq!(no_room, chunk.text);
    }
}
