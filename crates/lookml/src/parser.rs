//! Recursive-descent parser: tokens → [`Document`].
//!
//! Grammar (after comments): `item := key ':' (NAME? '{' item* '}' | '[' elems ']' | value)`.
//! A syntax error stops the file at the first problem, reported with its location; the semantic
//! validator then reports everything else at once.

use crate::ast::{Document, ListItem, Pair, Value, ValueKind};
use crate::diagnostic::Diagnostic;
use crate::lexer::{Lexer, Token, TokenKind};
use crate::source::{FileId, Span};

/// Parses one LookML file.
pub fn parse(file: FileId, text: &str) -> Result<Document, Diagnostic> {
    let mut lexer = Lexer::new(file, text);
    let current = lexer.next_token();
    let following = lexer.next_token();
    let end = Span::new(file, text.len(), text.len());
    let mut parser = Parser { lexer, window: [current, following], end, depth: 0 };
    let items = parser.items(false);
    // A lexical error ends the tokens early: it, not what the parser made of the early end, is
    // the file's problem.
    match (parser.lexer.error(), items) {
        (Some(e), _) | (None, Err(e)) => Err(e),
        (None, Ok(items)) => Ok(Document { items }),
    }
}

/// Blocks nested deeper than this are rejected instead of exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Reads tokens as it goes, looking at most two ahead (`key :` inside a list).
struct Parser<'a> {
    lexer: Lexer<'a>,
    window: [Option<Token<'a>>; 2],
    end: Span,
    depth: usize,
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Literal(s) => format!("`{s}`"),
        TokenKind::Quoted(s) => format!("the string \"{s}\""),
        TokenKind::Expr(_) => "a SQL block".into(),
        TokenKind::Colon => "`:`".into(),
        TokenKind::LBrace => "`{`".into(),
        TokenKind::RBrace => "`}`".into(),
        TokenKind::LBracket => "`[`".into(),
        TokenKind::RBracket => "`]`".into(),
        TokenKind::Comma => "`,`".into(),
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.window[0].as_ref()
    }

    fn peek_kind(&self, ahead: usize) -> Option<&TokenKind<'a>> {
        self.window[ahead].as_ref().map(|t| &t.kind)
    }

    /// Takes the current token and reads the one after the next.
    #[inline]
    fn next(&mut self) -> Option<Token<'a>> {
        let following = if self.window[1].is_some() { self.lexer.next_token() } else { None };
        let taken = self.window[0].take();
        self.window[0] = std::mem::replace(&mut self.window[1], following);
        taken
    }

    /// Skips the current token.
    fn skip(&mut self) {
        self.next();
    }

    fn unexpected(&self, expected: &str) -> Diagnostic {
        match self.peek() {
            Some(t) => Diagnostic::error(t.span, format!("expected {expected}, found {}", describe(&t.kind))),
            None => Diagnostic::error(self.end, format!("expected {expected}, found the end of the file")),
        }
    }

    /// Items until `}` (inside a block) or the end of input (top level).
    fn items(&mut self, in_block: bool) -> Result<Vec<Pair>, Diagnostic> {
        let mut items = Vec::new();
        loop {
            match self.peek_kind(0) {
                None if !in_block => return Ok(items),
                Some(TokenKind::RBrace) if in_block => return Ok(items),
                None => return Err(self.unexpected("`}` to close the block")),
                _ => items.push(self.pair()?),
            }
        }
    }

    fn pair(&mut self) -> Result<Pair, Diagnostic> {
        let (key, key_span) = match self.peek() {
            Some(Token { kind: TokenKind::Literal(k), span }) => (k.to_string(), *span),
            _ => return Err(self.unexpected("a parameter name such as `dimension:`")),
        };
        self.skip();
        if self.peek_kind(0) != Some(&TokenKind::Colon) {
            return Err(self.unexpected(&format!("`:` after `{key}`")));
        }
        self.skip();
        let value = self.value(&key)?;
        Ok(Pair { key, key_span, value })
    }

    fn value(&mut self, key: &str) -> Result<Value, Diagnostic> {
        let Some(peeked) = self.peek() else {
            return Err(self.unexpected(&format!("a value for `{key}`")));
        };
        let span = peeked.span;
        match peeked.kind {
            TokenKind::LBrace => return self.block(None, span),
            TokenKind::LBracket => return self.list(key),
            TokenKind::Expr(_) | TokenKind::Literal(_) | TokenKind::Quoted(_) => {}
            _ => return Err(self.unexpected(&format!("a value for `{key}`"))),
        }
        let Some(token) = self.next() else { return Err(self.unexpected(&format!("a value for `{key}`"))) };
        let (text, quoted) = match token.kind {
            TokenKind::Expr(text) => return Ok(Value { kind: ValueKind::Expr(text.to_string()), span: token.span }),
            TokenKind::Literal(text) => (text.to_string(), false),
            TokenKind::Quoted(text) => (text.into_owned(), true),
            _ => unreachable!("checked above"),
        };
        if self.peek_kind(0) == Some(&TokenKind::LBrace) {
            let brace = self.peek().map(|t| t.span).unwrap_or(token.span);
            let mut block = self.block(Some((text, token.span)), brace)?;
            block.span = token.span.to(block.span);
            return Ok(block);
        }
        Ok(Value { kind: ValueKind::Scalar { text, quoted }, span: token.span })
    }

    fn block(&mut self, name: Option<(String, Span)>, open: Span) -> Result<Value, Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(open, format!("blocks are nested more than {MAX_DEPTH} deep")));
        }
        self.skip(); // `{`
        let items = self.items(true)?;
        let close = self.next().map(|t| t.span).unwrap_or(self.end);
        self.depth -= 1;
        let (name, name_span) = match name {
            Some((n, s)) => (Some(n), Some(s)),
            None => (None, None),
        };
        Ok(Value { kind: ValueKind::Block { name, name_span, items }, span: open.to(close) })
    }

    fn list(&mut self, key: &str) -> Result<Value, Diagnostic> {
        let open = self.next().map(|t| t.span).unwrap_or(self.end); // `[`
        let mut items = Vec::new();
        loop {
            match self.peek_kind(0) {
                Some(TokenKind::RBracket) => {
                    let close = self.next().map(|t| t.span).unwrap_or(self.end);
                    return Ok(Value { kind: ValueKind::List(items), span: open.to(close) });
                }
                Some(TokenKind::Comma) => self.skip(),
                Some(TokenKind::Literal(_)) if self.peek_kind(1) == Some(&TokenKind::Colon) => {
                    items.push(ListItem::Pair(self.pair()?));
                }
                Some(TokenKind::Literal(_) | TokenKind::Quoted(_)) => {
                    let Some(t) = self.next() else { break };
                    let (text, quoted) = match t.kind {
                        TokenKind::Literal(s) => (s.to_string(), false),
                        TokenKind::Quoted(s) => (s.into_owned(), true),
                        _ => unreachable!("matched above"),
                    };
                    items.push(ListItem::Value(Value { kind: ValueKind::Scalar { text, quoted }, span: t.span }));
                }
                _ => break,
            }
        }
        Err(self.unexpected(&format!("`]` to close the list of `{key}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn doc(text: &str) -> Document {
        parse(FileId(0), text).unwrap()
    }

    fn error_at(text: &str) -> String {
        let mut sources = SourceMap::default();
        let id = sources.add("bad.view.lkml".into(), text.into());
        parse(id, text).unwrap_err().render(&sources)
    }

    #[test]
    fn named_blocks_nest_with_scalars_and_sql() {
        let d = doc("view: orders {\n  sql_table_name: public.orders ;;\n  dimension: id { primary_key: yes type: number }\n}");
        let (name, items) = d.items[0].value.as_block().unwrap();
        assert_eq!(name, Some("orders"));
        assert_eq!(items[0].value.as_text(), Some("public.orders"));
        assert_eq!(items[1].block_name(), Some("id"));
    }

    #[test]
    fn anonymous_blocks_and_lists_of_pairs() {
        let d =
            doc("derived_table: { sql: SELECT 1 ;; } filters: [orders.status: \"complete\", users.age: \">21\"] timeframes: [date, week,]");
        assert!(matches!(d.items[0].value.kind, ValueKind::Block { name: None, .. }));
        let filters = d.items[1].value.as_list().unwrap();
        assert!(matches!(&filters[1], ListItem::Pair(p) if p.key == "users.age" && p.value.as_text() == Some(">21")));
        assert_eq!(d.items[2].value.as_list().unwrap().len(), 2);
    }

    #[test]
    fn quoted_block_names_are_names() {
        let d = doc("explore: \"order items\" { }");
        assert_eq!(d.items[0].block_name(), Some("order items"));
    }

    #[test]
    fn missing_close_brace_names_line_and_column() {
        assert_eq!(
            error_at("view: v {\n  dimension: a {\n"),
            "bad.view.lkml:3:1: expected `}` to close the block, found the end of the file"
        );
    }

    #[test]
    fn missing_colon_is_reported_at_the_next_token() {
        assert_eq!(error_at("view: v {\n  label \"x\"\n}"), "bad.view.lkml:2:9: expected `:` after `label`, found the string \"x\"");
    }

    #[test]
    fn stray_closing_bracket_is_an_error() {
        assert!(error_at("view: v { } ]").contains("1:13"));
    }

    #[test]
    fn unclosed_list_is_an_error() {
        assert!(error_at("timeframes: [date, week").contains("expected `]`"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "a: {".repeat(200);
        assert!(error_at(&text).contains("nested more than"));
    }

    #[test]
    fn empty_file_is_an_empty_document() {
        assert!(doc("  # only a comment\n").items.is_empty());
    }
}
