//! Short plain-text excerpts of matching chunks for search results.

/// Target snippet length in characters.
const SNIPPET_CHARACTERS: usize = 240;
/// Characters shown before the first query term found.
const LEAD_IN: usize = 60;
/// Query words shorter than this are not looked for (articles, prepositions).
const MIN_TERM_LENGTH: usize = 3;

/// Returns about [`SNIPPET_CHARACTERS`] characters of `text` with whitespace collapsed,
/// starting a little before the first word of `query` that occurs in it (case-insensitive),
/// or at the beginning. Cut ends are marked with `…` and fall between words.
pub fn around_terms(text: &str, query: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    let chars: Vec<char> = flat.chars().collect();
    if chars.len() <= SNIPPET_CHARACTERS {
        return flat;
    }

    let lower: Vec<char> = chars
        .iter()
        .flat_map(|c| c.to_lowercase().take(1))
        .collect();
    let terms: Vec<Vec<char>> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|term| term.chars().count() >= MIN_TERM_LENGTH)
        .map(|term| {
            term.chars()
                .flat_map(|c| c.to_lowercase().take(1))
                .collect()
        })
        .collect();
    let first_match = terms
        .iter()
        .filter_map(|term| find(&lower, term))
        .min()
        .unwrap_or(0);

    let mut start = first_match.saturating_sub(LEAD_IN);
    let mut end = (start + SNIPPET_CHARACTERS).min(chars.len());
    if end == chars.len() {
        start = end.saturating_sub(SNIPPET_CHARACTERS);
    }
    // Move both cuts to spaces so no word is split.
    if start > 0 {
        while start < first_match && chars[start - 1] != ' ' {
            start += 1;
        }
    }
    if end < chars.len() {
        while end > start + 1 && chars[end] != ' ' {
            end -= 1;
        }
    }

    let mut snippet = String::new();
    if start > 0 {
        snippet.push('…');
    }
    snippet.extend(chars[start..end].iter());
    let trimmed_len = snippet.trim_end().len();
    snippet.truncate(trimmed_len);
    if end < chars.len() {
        snippet.push('…');
    }
    snippet
}

/// Returns the position of `needle` in `haystack`.
fn find(haystack: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_returned_whole() {
        assert_eq!(around_terms("a  b\n\nc", "x"), "a b c");
    }

    #[test]
    fn snippet_starts_near_the_first_term() {
        let text = format!(
            "{} Needle here {}",
            "filler ".repeat(100),
            "tail ".repeat(100)
        );
        let snippet = around_terms(&text, "the needle");
        assert!(snippet.starts_with('…'), "{snippet}");
        assert!(snippet.ends_with('…'), "{snippet}");
        assert!(snippet.contains("Needle here"), "{snippet}");
        assert!(
            snippet.chars().count() <= SNIPPET_CHARACTERS + 2,
            "{snippet}"
        );
        assert!(
            !snippet.contains("fille…") && !snippet.contains("…iller"),
            "{snippet}"
        );
    }

    #[test]
    fn snippet_without_match_starts_at_the_beginning() {
        let text = "word ".repeat(200);
        let snippet = around_terms(&text, "absent");
        assert!(snippet.starts_with("word word"), "{snippet}");
        assert!(snippet.ends_with('…'));
    }

    #[test]
    fn snippet_handles_multibyte_text() {
        let text = format!("{} Über café 日本語 {}", "ä ".repeat(150), "ö ".repeat(150));
        let snippet = around_terms(&text, "CAFÉ");
        assert!(snippet.contains("café"), "{snippet}");
    }
}
