//! LookML tokenizer.
//!
//! LookML's one context-sensitive rule lives here: after an expression key (`sql:`, `sql_on:`,
//! `html:`, anything starting `sql_` …) everything up to the next `;;` is raw text, where quotes,
//! `#` and braces mean nothing. Comments (`#` to end of line) are dropped.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Literal(String),
    Quoted(String),
    /// Raw text of an expression block, trimmed, without the `;;`.
    Expr(String),
    Colon,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Keys whose value is an expression block ending in `;;`.
pub fn is_expression_key(key: &str) -> bool {
    key.starts_with("sql") || matches!(key, "html" | "expression" | "expression_custom_filter")
}

fn is_literal_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, ':' | '{' | '}' | '[' | ']' | ',' | '"'))
}

/// Splits `text` into tokens. Stops at the first lexical error and reports it.
pub fn tokenize(file: FileId, text: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 8);
    let bytes = text.as_bytes();
    let mut i = 0;
    let span = |s: usize, e: usize| Span::new(file, s, e);
    while i < bytes.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        match c {
            _ if c.is_whitespace() => i += c.len_utf8(),
            '#' => {
                i = text[i..].find('\n').map(|n| i + n).unwrap_or(bytes.len());
            }
            '{' | '}' | '[' | ']' | ',' => {
                i += 1;
                let kind = match c {
                    '{' => TokenKind::LBrace,
                    '}' => TokenKind::RBrace,
                    '[' => TokenKind::LBracket,
                    ']' => TokenKind::RBracket,
                    _ => TokenKind::Comma,
                };
                tokens.push(Token { kind, span: span(start, i) });
            }
            ':' => {
                i += 1;
                tokens.push(Token { kind: TokenKind::Colon, span: span(start, i) });
                let is_expr = matches!(
                    tokens.len().checked_sub(2).and_then(|k| tokens.get(k)),
                    Some(Token { kind: TokenKind::Literal(key), .. }) if is_expression_key(key)
                );
                if is_expr {
                    let Some(end) = text[i..].find(";;").map(|n| i + n) else {
                        let key_span = tokens[tokens.len() - 2].span;
                        return Err(Diagnostic::error(key_span, "this SQL block never ends: expected `;;` after it"));
                    };
                    let raw = &text[i..end];
                    let lead = raw.len() - raw.trim_start().len();
                    let trimmed = raw.trim();
                    tokens.push(Token { kind: TokenKind::Expr(trimmed.to_string()), span: span(i + lead, i + lead + trimmed.len()) });
                    i = end + 2;
                }
            }
            '"' => {
                // Fast path: no escapes, the value is the text between the quotes.
                let body = &bytes[i + 1..];
                if let Some(close) = body.iter().position(|&b| b == b'"' || b == b'\\').filter(|&k| body[k] == b'"') {
                    let end = i + 1 + close + 1;
                    tokens.push(Token { kind: TokenKind::Quoted(text[i + 1..end - 1].to_string()), span: span(start, end) });
                    i = end;
                    continue;
                }
                let mut value = String::new();
                let mut chars = text[i + 1..].char_indices();
                let mut closed = None;
                while let Some((k, ch)) = chars.next() {
                    match ch {
                        '\\' => match chars.next() {
                            Some((_, escaped)) => value.push(escaped),
                            None => break,
                        },
                        '"' => {
                            closed = Some(i + 1 + k + 1);
                            break;
                        }
                        _ => value.push(ch),
                    }
                }
                let Some(end) = closed else {
                    return Err(Diagnostic::error(span(start, start + 1), "this quoted string is never closed: expected a closing `\"`"));
                };
                tokens.push(Token { kind: TokenKind::Quoted(value), span: span(start, end) });
                i = end;
            }
            _ if is_literal_char(c) => {
                // ASCII bytes decide alone; a multi-byte character is always part of a literal
                // unless it is Unicode whitespace, which the slow path checks.
                let mut end = i;
                while end < bytes.len() {
                    let b = bytes[end];
                    if b < 0x80 {
                        if !is_literal_char(b as char) {
                            break;
                        }
                        end += 1;
                    } else {
                        let ch = text[end..].chars().next().unwrap_or(' ');
                        if !is_literal_char(ch) {
                            break;
                        }
                        end += ch.len_utf8();
                    }
                }
                i = end;
                tokens.push(Token { kind: TokenKind::Literal(text[start..i].to_string()), span: span(start, i) });
            }
            _ => {
                return Err(Diagnostic::error(span(start, start + c.len_utf8()), format!("unexpected character `{c}`")));
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(FileId(0), text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn sql_blocks_keep_quotes_hashes_and_braces_verbatim() {
        let k = kinds("sql: SELECT '#}' AS \"x\" {  ;; label: \"a\"");
        assert_eq!(k[2], TokenKind::Expr("SELECT '#}' AS \"x\" {".into()));
        assert_eq!(k[5], TokenKind::Quoted("a".into()));
    }

    #[test]
    fn comments_are_dropped_but_not_inside_strings() {
        let k = kinds("# top\nlabel: \"a # b\" # trailing\n");
        assert_eq!(k, vec![TokenKind::Literal("label".into()), TokenKind::Colon, TokenKind::Quoted("a # b".into())]);
    }

    #[test]
    fn backslash_escapes_a_quote() {
        assert_eq!(kinds(r#"x: "say \"hi\"""#)[2], TokenKind::Quoted("say \"hi\"".into()));
    }

    #[test]
    fn literals_include_plus_star_dot_and_minus() {
        let k = kinds("fields: [detail*, -orders.id] explore: +orders {}");
        assert!(k.contains(&TokenKind::Literal("detail*".into())));
        assert!(k.contains(&TokenKind::Literal("-orders.id".into())));
        assert!(k.contains(&TokenKind::Literal("+orders".into())));
    }

    #[test]
    fn unterminated_sql_block_points_at_its_key() {
        let err = tokenize(FileId(0), "view: v {\n  sql_table_name: t\n}").unwrap_err();
        assert_eq!(err.span.unwrap().start, 12);
        assert!(err.message.contains(";;"));
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(tokenize(FileId(0), "label: \"abc").is_err());
    }
}
