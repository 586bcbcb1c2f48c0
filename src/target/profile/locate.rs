//! Locating errors: from a byte offset to a line, a column and a field path, and from a
//! field path back to the span to point at.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{ProfileError, ProfileIssue};

pub(super) fn issue(
    source: &Path,
    text: &str,
    offset: usize,
    field: String,
    message: &str,
) -> ProfileError {
    let (line, column) = line_col(text, offset);
    ProfileError::Invalid(ProfileIssue {
        file: source.to_owned(),
        line,
        column,
        field,
        message: message.trim().to_owned(),
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

// ---------------------------------------------------------------------------------------------
// Spans: from a byte offset to a field path, and from a field path to a span

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

fn render_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// The dotted path of the deepest key or value whose span holds `pos`.
pub(super) fn path_at(doc: &Spanned<DeTable<'_>>, pos: usize) -> String {
    let mut path = Vec::new();
    walk_table(doc.get_ref(), pos, &mut path);
    render_path(&path)
}

fn walk_table(table: &DeTable<'_>, pos: usize, path: &mut Vec<Seg>) {
    for (k, v) in table.iter() {
        if contains(&k.span(), pos) {
            path.push(Seg::Key(k.get_ref().to_string()));
            return;
        }
        if contains(&v.span(), pos) {
            path.push(Seg::Key(k.get_ref().to_string()));
            walk_value(v.get_ref(), pos, path);
            return;
        }
    }
    // Tables written as `[section]` headers may not span their contents: look inside anyway.
    for (k, v) in table.iter() {
        let mut sub = vec![Seg::Key(k.get_ref().to_string())];
        let before = sub.len();
        walk_value(v.get_ref(), pos, &mut sub);
        if sub.len() > before {
            path.extend(sub);
            return;
        }
    }
}

fn walk_value(value: &DeValue<'_>, pos: usize, path: &mut Vec<Seg>) {
    match value {
        DeValue::Table(t) => walk_table(t, pos, path),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                let before = path.len();
                path.push(Seg::Index(i));
                if contains(&item.span(), pos) {
                    walk_value(item.get_ref(), pos, path);
                    return;
                }
                walk_value(item.get_ref(), pos, path);
                if path.len() > before + 1 {
                    return;
                }
                path.truncate(before);
            }
        }
        _ => {}
    }
}

/// The span to point at for a path: the key of the last segment that exists (so a missing
/// field points at its table), or the start of the file.
pub(super) fn span_of(doc: &Spanned<DeTable<'_>>, path: &[Seg]) -> Range<usize> {
    let mut best = 0..0;
    let mut current: &DeValue<'_> = &DeValue::Boolean(false);
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    for seg in path {
        match (seg, table, current) {
            (Seg::Key(k), Some(t), _) => {
                let Some((key, value)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                    break;
                };
                best = key.span();
                current = value.get_ref();
            }
            (Seg::Index(i), _, DeValue::Array(a)) => {
                let Some(item) = a.get(*i) else { break };
                best = item.span();
                current = item.get_ref();
            }
            _ => break,
        }
        table = match current {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    best
}

/// A path written like `clients[0].redirect_uri`.
pub(super) fn parse_path(p: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in p.split('.') {
        let (key, mut idx) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_owned()));
        }
        while let Some(end) = idx.find(']') {
            if let Ok(n) = idx[1..end].parse() {
                out.push(Seg::Index(n));
            }
            idx = &idx[end + 1..];
        }
    }
    out
}
