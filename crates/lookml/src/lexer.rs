//! LookML tokenizer.
//!
//! LookML's one context-sensitive rule lives here: after an expression key (`sql:`, `sql_on:`,
//! `html:`, anything starting `sql_` …) everything up to the next `;;` is raw text, where quotes,
//! `#` and braces mean nothing. Comments (`#` to end of line) are dropped.

use std::borrow::Cow;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// A token borrows its text from the source: the parser copies only what the tree keeps.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind<'a> {
    Literal(&'a str),
    /// A quoted string's value; owned only when it had backslash escapes.
    Quoted(Cow<'a, str>),
    /// Raw text of an expression block, trimmed, without the `;;`.
    Expr(&'a str),
    Colon,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub span: Span,
}

/// Keys whose value is an expression block ending in `;;`.
pub fn is_expression_key(key: &str) -> bool {
    key.starts_with("sql") || matches!(key, "html" | "expression" | "expression_custom_filter")
}

fn is_literal_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, ':' | '{' | '}' | '[' | ']' | ',' | '"'))
}

/// What an ASCII byte starts; bytes from 0x80 up are decided per character.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Space,
    Punct,
    Literal,
}

const fn is_ascii_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0d | b' ')
}

const fn is_ascii_punct(b: u8) -> bool {
    matches!(b, b':' | b'{' | b'}' | b'[' | b']' | b',' | b'"')
}

/// The class of each ASCII byte at the start of a token (`#` starts a comment there).
const STARTS: [Class; 128] = {
    let mut table = [Class::Literal; 128];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        if is_ascii_space(byte) {
            table[b] = Class::Space;
        } else if is_ascii_punct(byte) || byte == b'#' {
            table[b] = Class::Punct;
        }
        b += 1;
    }
    table
};

/// Whether an ASCII byte continues a literal (`#` does: `a#b` is one literal).
const CONTINUES: [bool; 128] = {
    let mut table = [true; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = !(is_ascii_space(b as u8) || is_ascii_punct(b as u8));
        b += 1;
    }
    table
};

/// Where the first `;;` at or after `from` starts: a scan for `;` (vectorised by the compiler)
/// rather than a general substring search set up anew for every SQL block.
fn find_double_semicolon(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == b';')?;
        if bytes.get(at + 1) == Some(&b';') {
            return Some(at);
        }
        at += 1;
    }
}

/// Tokens on demand, in one pass over the text.
pub struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
    /// The last token was a literal naming an expression key (its span).
    expression_key: Option<Span>,
    /// The last token was the `:` after an expression key: the next token is its `;;` block.
    expression_due: Option<Span>,
    /// The first lexical error; the tokens end there.
    error: Option<Diagnostic>,
}

impl<'a> Lexer<'a> {
    pub fn new(file: FileId, text: &'a str) -> Self {
        Lexer { file, text, pos: 0, expression_key: None, expression_due: None, error: None }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The next token; `None` at the end of the text or at the first lexical error, which
    /// [`Lexer::error`] then holds.
    #[inline]
    pub fn next_token(&mut self) -> Option<Token<'a>> {
        let result = match self.expression_due.take() {
            Some(key_span) => self.expression(key_span).map(Some),
            None => self.scan(),
        };
        let token = match result {
            Ok(token) => token,
            Err(e) => {
                self.error.get_or_insert(e);
                self.pos = self.text.len();
                return None;
            }
        };
        self.expression_key = match &token {
            Some(Token { kind: TokenKind::Literal(key), span }) if is_expression_key(key) => Some(*span),
            Some(Token { kind: TokenKind::Colon, .. }) => {
                self.expression_due = self.expression_key;
                None
            }
            _ => None,
        };
        token
    }

    /// The lexical error that ended the tokens, if one did.
    pub fn error(&mut self) -> Option<Diagnostic> {
        self.error.take()
    }

    /// Everything up to the next `;;`, trimmed.
    fn expression(&mut self, key_span: Span) -> Result<Token<'a>, Diagnostic> {
        let (text, i) = (self.text, self.pos);
        let Some(end) = find_double_semicolon(text.as_bytes(), i) else {
            return Err(Diagnostic::error(key_span, "this SQL block never ends: expected `;;` after it"));
        };
        let raw = &text[i..end];
        let lead = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        self.pos = end + 2;
        Ok(Token { kind: TokenKind::Expr(trimmed), span: self.span(i + lead, i + lead + trimmed.len()) })
    }

    fn scan(&mut self) -> Result<Option<Token<'a>>, Diagnostic> {
        let text = self.text;
        let bytes = text.as_bytes();
        loop {
            let i = self.pos;
            let Some(&b) = bytes.get(i) else { return Ok(None) };
            if b >= 0x80 {
                let c = text[i..].chars().next().unwrap_or(' ');
                if c.is_whitespace() {
                    self.pos += c.len_utf8();
                    continue;
                }
                if is_literal_char(c) {
                    return Ok(Some(self.literal(i)));
                }
                return Err(Diagnostic::error(self.span(i, i + c.len_utf8()), format!("unexpected character `{c}`")));
            }
            match STARTS[b as usize] {
                Class::Space => {
                    // Indentation comes in runs: skip the run in one tight loop.
                    let run = bytes[i + 1..].iter().take_while(|&&b| b < 0x80 && STARTS[b as usize] == Class::Space).count();
                    self.pos = i + 1 + run;
                }
                Class::Literal => return Ok(Some(self.literal(i))),
                Class::Punct => {
                    let kind = match b {
                        b'#' => {
                            self.pos = text[i..].find('\n').map(|n| i + n).unwrap_or(bytes.len());
                            continue;
                        }
                        b'"' => return self.quoted(i).map(Some),
                        b'{' => TokenKind::LBrace,
                        b'}' => TokenKind::RBrace,
                        b'[' => TokenKind::LBracket,
                        b']' => TokenKind::RBracket,
                        b',' => TokenKind::Comma,
                        _ => TokenKind::Colon,
                    };
                    self.pos = i + 1;
                    return Ok(Some(Token { kind, span: self.span(i, i + 1) }));
                }
            }
        }
    }

    fn literal(&mut self, start: usize) -> Token<'a> {
        // ASCII bytes decide alone; a multi-byte character is always part of a literal unless it
        // is Unicode whitespace, which the slow path checks.
        let (text, bytes) = (self.text, self.text.as_bytes());
        let mut end = start;
        while end < bytes.len() {
            let b = bytes[end];
            if b < 0x80 {
                if !CONTINUES[b as usize] {
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
        self.pos = end;
        Token { kind: TokenKind::Literal(&text[start..end]), span: self.span(start, end) }
    }

    fn quoted(&mut self, start: usize) -> Result<Token<'a>, Diagnostic> {
        let (text, bytes) = (self.text, self.text.as_bytes());
        // Fast path: no escapes, the value is the text between the quotes.
        let body = &bytes[start + 1..];
        if let Some(close) = body.iter().position(|&b| b == b'"' || b == b'\\').filter(|&k| body[k] == b'"') {
            let end = start + 1 + close + 1;
            self.pos = end;
            return Ok(Token { kind: TokenKind::Quoted(Cow::Borrowed(&text[start + 1..end - 1])), span: self.span(start, end) });
        }
        let mut value = String::new();
        let mut chars = text[start + 1..].char_indices();
        let mut closed = None;
        while let Some((k, ch)) = chars.next() {
            match ch {
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                '"' => {
                    closed = Some(start + 1 + k + 1);
                    break;
                }
                _ => value.push(ch),
            }
        }
        let Some(end) = closed else {
            return Err(Diagnostic::error(self.span(start, start + 1), "this quoted string is never closed: expected a closing `\"`"));
        };
        self.pos = end;
        Ok(Token { kind: TokenKind::Quoted(Cow::Owned(value)), span: self.span(start, end) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `text`, or the first lexical error (the parser takes them one by one).
    fn tokenize(file: FileId, text: &str) -> Result<Vec<Token<'_>>, Diagnostic> {
        let mut lexer = Lexer::new(file, text);
        let mut tokens = Vec::new();
        while let Some(token) = lexer.next_token() {
            tokens.push(token);
        }
        match lexer.error() {
            Some(e) => Err(e),
            None => Ok(tokens),
        }
    }

    fn kinds(text: &str) -> Vec<TokenKind<'_>> {
        tokenize(FileId(0), text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn sql_blocks_keep_quotes_hashes_and_braces_verbatim() {
        let k = kinds("sql: SELECT '#}' AS \"x\" {  ;; label: \"a\"");
        assert_eq!(k[2], TokenKind::Expr("SELECT '#}' AS \"x\" {"));
        assert_eq!(k[5], TokenKind::Quoted("a".into()));
    }

    #[test]
    fn comments_are_dropped_but_not_inside_strings() {
        let k = kinds("# top\nlabel: \"a # b\" # trailing\n");
        assert_eq!(k, vec![TokenKind::Literal("label"), TokenKind::Colon, TokenKind::Quoted("a # b".into())]);
    }

    #[test]
    fn backslash_escapes_a_quote() {
        assert_eq!(kinds(r#"x: "say \"hi\"""#)[2], TokenKind::Quoted("say \"hi\"".into()));
    }

    #[test]
    fn literals_include_plus_star_dot_and_minus() {
        let k = kinds("fields: [detail*, -orders.id] explore: +orders {}");
        assert!(k.contains(&TokenKind::Literal("detail*")));
        assert!(k.contains(&TokenKind::Literal("-orders.id")));
        assert!(k.contains(&TokenKind::Literal("+orders")));
    }

    #[test]
    fn unterminated_sql_block_points_at_its_key() {
        let err = tokenize(FileId(0), "view: v {\n  sql_table_name: t\n}").unwrap_err();
        assert_eq!(err.span.unwrap().start, 12);
        assert!(err.message.contains(";;"));
    }

    #[test]
    fn a_hash_inside_a_literal_is_not_a_comment_and_any_unicode_space_separates() {
        let k = kinds("a#b\u{a0}c\u{b}d\u{3000}é # gone");
        let expected: Vec<TokenKind> = ["a#b", "c", "d", "é"].into_iter().map(TokenKind::Literal).collect();
        assert_eq!(k, expected);
    }

    #[test]
    fn an_escaped_string_owns_its_value_and_a_plain_one_borrows() {
        let k = kinds(r#"a: "plain" b: "esc\"aped""#);
        assert!(matches!(&k[2], TokenKind::Quoted(Cow::Borrowed("plain"))));
        assert!(matches!(&k[5], TokenKind::Quoted(Cow::Owned(s)) if s == "esc\"aped"));
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(tokenize(FileId(0), "label: \"abc").is_err());
    }
}
