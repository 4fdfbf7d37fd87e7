//! Targeted edits of markdown content, so an agent can change one part of a long article
//! without sending all of it back.

/// One targeted edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Adds text at the end, on a new line.
    Append(String),
    /// Adds text at the start.
    Prepend(String),
    /// Replaces the body under a heading (up to the next heading of the same or a higher
    /// level), keeping the heading line itself.
    ReplaceSection { heading: String, text: String },
    /// Replaces `find` with `replace`; `find` must occur exactly once.
    FindReplace { find: String, replace: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error(
        "no heading {0:?} found; headings are matched by their text, e.g. \"Install\" or \"## Install\""
    )]
    HeadingNotFound(String),
    #[error("heading {0:?} occurs {1} times; make it unique or use find_replace")]
    HeadingAmbiguous(String, usize),
    #[error("the text to find does not occur in the article")]
    FindNotFound,
    #[error("the text to find occurs {0} times; include more context so it occurs exactly once")]
    FindAmbiguous(usize),
    #[error("the text to find must not be empty")]
    EmptyFind,
}

/// A markdown ATX heading: its level and text, outside code fences.
struct Heading {
    line: usize,
    level: usize,
    text: String,
}

fn headings(lines: &[&str]) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut fence: Option<&str> = None;
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                fence = match fence {
                    Some(open) if open == marker => None,
                    None => Some(marker),
                    other => other,
                };
            }
        }
        if fence.is_some() || trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            continue;
        }
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        let rest = &trimmed[level..];
        if (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with(' ')) {
            found.push(Heading {
                line: index,
                level,
                text: rest.trim().trim_end_matches('#').trim().to_owned(),
            });
        }
    }
    found
}

/// Applies an edit and returns the new content.
pub fn apply(content: &str, edit: &Edit) -> Result<String, EditError> {
    match edit {
        Edit::Append(text) => {
            let mut result = content.to_owned();
            if !result.is_empty() && !result.ends_with('\n') {
                result.push('\n');
            }
            result.push_str(text);
            Ok(result)
        }
        Edit::Prepend(text) => {
            let mut result = text.clone();
            if !result.ends_with('\n') && !content.is_empty() {
                result.push('\n');
            }
            result.push_str(content);
            Ok(result)
        }
        Edit::FindReplace { find, replace } => {
            if find.is_empty() {
                return Err(EditError::EmptyFind);
            }
            match content.matches(find.as_str()).count() {
                0 => Err(EditError::FindNotFound),
                1 => Ok(content.replacen(find.as_str(), replace, 1)),
                count => Err(EditError::FindAmbiguous(count)),
            }
        }
        Edit::ReplaceSection { heading, text } => replace_section(content, heading, text),
    }
}

fn replace_section(content: &str, heading: &str, text: &str) -> Result<String, EditError> {
    let wanted = heading.trim().trim_start_matches('#').trim();
    let lines: Vec<&str> = content.split('\n').collect();
    let all = headings(&lines);
    let matches: Vec<&Heading> = all
        .iter()
        .filter(|h| h.text.eq_ignore_ascii_case(wanted))
        .collect();
    let target = match matches.as_slice() {
        [] => return Err(EditError::HeadingNotFound(heading.to_owned())),
        [one] => *one,
        many => return Err(EditError::HeadingAmbiguous(heading.to_owned(), many.len())),
    };
    let end = all
        .iter()
        .find(|h| h.line > target.line && h.level <= target.level)
        .map_or(lines.len(), |h| h.line);

    let mut result: Vec<&str> = lines[..=target.line].to_vec();
    let body = text.trim_end_matches('\n');
    if !body.is_empty() {
        result.push("");
        result.extend(body.split('\n'));
    }
    if end < lines.len() {
        result.push("");
        result.extend(&lines[end..]);
    } else if content.ends_with('\n') {
        result.push("");
    }
    Ok(result.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str =
        "# Guide\n\nIntro.\n\n## Install\n\nold steps\n\n### Linux\n\napt\n\n## Use\n\nrun it\n";

    #[test]
    fn replace_section_keeps_later_sections() {
        let edit = Edit::ReplaceSection {
            heading: "install".into(),
            text: "new steps\n".into(),
        };
        let result = apply(DOC, &edit).unwrap();
        assert_eq!(
            result,
            "# Guide\n\nIntro.\n\n## Install\n\nnew steps\n\n## Use\n\nrun it\n"
        );
    }

    #[test]
    fn replace_last_section() {
        let edit = Edit::ReplaceSection {
            heading: "## Use".into(),
            text: "use carefully".into(),
        };
        let result = apply(DOC, &edit).unwrap();
        assert!(result.ends_with("## Use\n\nuse carefully\n"), "{result}");
        assert!(result.contains("old steps"));
    }

    #[test]
    fn headings_inside_fences_are_ignored() {
        let doc = "## A\n\n```sh\n# Install\n```\n\n## Install\n\nx\n";
        let edit = Edit::ReplaceSection {
            heading: "Install".into(),
            text: "y".into(),
        };
        let result = apply(doc, &edit).unwrap();
        assert_eq!(result, "## A\n\n```sh\n# Install\n```\n\n## Install\n\ny\n");
    }

    #[test]
    fn missing_and_ambiguous_headings() {
        let edit = Edit::ReplaceSection {
            heading: "Nope".into(),
            text: "y".into(),
        };
        assert!(matches!(
            apply(DOC, &edit),
            Err(EditError::HeadingNotFound(_))
        ));
        let twice = "## A\nx\n## A\ny\n";
        let edit = Edit::ReplaceSection {
            heading: "A".into(),
            text: "z".into(),
        };
        assert!(matches!(
            apply(twice, &edit),
            Err(EditError::HeadingAmbiguous(_, 2))
        ));
    }

    #[test]
    fn find_replace_needs_exactly_one_match() {
        let once = Edit::FindReplace {
            find: "old steps".into(),
            replace: "new".into(),
        };
        assert!(apply(DOC, &once).unwrap().contains("## Install\n\nnew\n"));
        let many = Edit::FindReplace {
            find: "#".into(),
            replace: "".into(),
        };
        assert!(matches!(
            apply(DOC, &many),
            Err(EditError::FindAmbiguous(_))
        ));
        let none = Edit::FindReplace {
            find: "zzz".into(),
            replace: "".into(),
        };
        assert_eq!(apply(DOC, &none), Err(EditError::FindNotFound));
    }

    #[test]
    fn append_and_prepend() {
        assert_eq!(apply("a", &Edit::Append("b".into())).unwrap(), "a\nb");
        assert_eq!(apply("a\n", &Edit::Append("b\n".into())).unwrap(), "a\nb\n");
        assert_eq!(apply("a", &Edit::Prepend("b".into())).unwrap(), "b\na");
    }
}
