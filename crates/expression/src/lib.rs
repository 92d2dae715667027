//! Looker expressions (custom fields, `filter_expression`, table calculations) as text → a
//! syntax tree: one parser for what is translated to SQL (`sql`) and what is evaluated on a
//! result's rows (`present`).
//!
//! `OR` binds looser than `AND`, then `NOT`, comparisons, `+ -`, `* /`, unary minus; keywords
//! are upper case; `yes`, `no` and `null` are lower case; strings are in double quotes with `\`
//! escapes; filter expressions of `matches_filter` in backticks; `#` starts a comment. Input
//! size and nesting are bounded, so no input can exhaust the stack.

/// Longest expression accepted, in bytes.
pub const MAX_LENGTH: usize = 20_000;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Number(String),
    String(String),
    /// A backtick-quoted filter expression (`matches_filter`'s second argument).
    Filter(String),
    Bool(bool),
    Null,
    /// `${view.field}` or `${custom_name}`.
    Field(String),
    Call(String, Vec<Ast>),
    Unary(&'static str, Box<Ast>),
    Binary(&'static str, Box<Ast>, Box<Ast>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offset in the expression.
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(String),
    String(String),
    Filter(String),
    Field(String),
    Ident(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn error(at: usize, message: impl Into<String>) -> ParseError {
    ParseError { message: message.into(), at }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                out.push((start, Token::Open));
                i += 1;
            }
            b')' => {
                out.push((start, Token::Close));
                i += 1;
            }
            b',' => {
                out.push((start, Token::Comma));
                i += 1;
            }
            b'$' => {
                if bytes.get(i + 1) != Some(&b'{') {
                    return Err(error(start, "`$` must start a field reference `${view.field}`"));
                }
                let end = text[i..].find('}').ok_or_else(|| error(start, "`${` is never closed"))? + i;
                let name = text[i + 2..end].trim();
                // `${view.field:total}` and `:row_total` (table calculations) name a total.
                let base = match name.split_once(':') {
                    Some((base, "total" | "row_total")) => base,
                    _ => name,
                };
                let valid = !base.is_empty() && base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
                if !valid {
                    return Err(error(start, format!("`${{{name}}}` is not a field name")));
                }
                out.push((start, Token::Field(name.to_string())));
                i = end + 1;
            }
            b'"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    let Some(ch) = text[i..].chars().next() else { return Err(error(start, "a string is never closed")) };
                    i += ch.len_utf8();
                    match ch {
                        '"' => break,
                        '\\' => {
                            let Some(next) = text[i..].chars().next() else { return Err(error(start, "a string is never closed")) };
                            i += next.len_utf8();
                            value.push(match next {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        }
                        other => value.push(other),
                    }
                }
                out.push((start, Token::String(value)));
            }
            b'`' => {
                let end = text[i + 1..].find('`').ok_or_else(|| error(start, "a backtick filter expression is never closed"))? + i + 1;
                out.push((start, Token::Filter(text[i + 1..end].to_string())));
                i = end + 1;
            }
            b'0'..=b'9' | b'.' => {
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                let number = &text[start..i];
                if number.parse::<f64>().is_err() {
                    return Err(error(start, format!("`{number}` is not a number")));
                }
                out.push((start, Token::Number(number.to_string())));
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                out.push((
                    start,
                    match word {
                        "AND" => Token::Op("AND"),
                        "OR" => Token::Op("OR"),
                        "NOT" => Token::Op("NOT"),
                        _ => Token::Ident(word.to_string()),
                    },
                ));
            }
            _ => {
                let two = text.get(i..i + 2).unwrap_or("");
                let op = match two {
                    "!=" => Some("!="),
                    ">=" => Some(">="),
                    "<=" => Some("<="),
                    _ => None,
                };
                if let Some(op) = op {
                    out.push((start, Token::Op(op)));
                    i += 2;
                    continue;
                }
                let op = match c {
                    b'=' => "=",
                    b'>' => ">",
                    b'<' => "<",
                    b'+' => "+",
                    b'-' => "-",
                    b'*' => "*",
                    b'/' => "/",
                    _ => {
                        let ch = text[i..].chars().next().unwrap_or('?');
                        return Err(error(start, format!("unexpected `{ch}`")));
                    }
                };
                out.push((start, Token::Op(op)));
                i += 1;
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map(|(at, _)| *at).unwrap_or(self.end)
    }

    fn take_op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        match self.peek() {
            Some(Token::Op(op)) if ops.contains(op) => {
                let op = *op;
                self.next += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(self.at(), format!("the expression nests more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn binary(&mut self, ops: &[&'static str], operand: fn(&mut Parser) -> Result<Ast, ParseError>) -> Result<Ast, ParseError> {
        let mut left = operand(self)?;
        while let Some(op) = self.take_op(ops) {
            let right = operand(self)?;
            left = Ast::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Ast, ParseError> {
        self.deeper()?;
        let ast = self.binary(&["OR"], Parser::and);
        self.depth -= 1;
        ast
    }

    fn and(&mut self) -> Result<Ast, ParseError> {
        self.binary(&["AND"], Parser::not)
    }

    fn not(&mut self) -> Result<Ast, ParseError> {
        if self.take_op(&["NOT"]).is_some() {
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Ast::Unary("NOT", Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Ast, ParseError> {
        let left = self.sum()?;
        match self.take_op(&["=", "!=", ">", "<", ">=", "<="]) {
            Some(op) => Ok(Ast::Binary(op, Box::new(left), Box::new(self.sum()?))),
            None => Ok(left),
        }
    }

    fn sum(&mut self) -> Result<Ast, ParseError> {
        self.binary(&["+", "-"], Parser::product)
    }

    fn product(&mut self) -> Result<Ast, ParseError> {
        self.binary(&["*", "/"], Parser::unary)
    }

    fn unary(&mut self) -> Result<Ast, ParseError> {
        if self.take_op(&["-"]).is_some() {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Unary("-", Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, ParseError> {
        let at = self.at();
        let Some((_, token)) = self.tokens.get(self.next).cloned() else { return Err(error(at, "the expression ends too early")) };
        self.next += 1;
        match token {
            Token::Number(n) => Ok(Ast::Number(n)),
            Token::String(s) => Ok(Ast::String(s)),
            Token::Filter(f) => Ok(Ast::Filter(f)),
            Token::Field(f) => Ok(Ast::Field(f)),
            Token::Open => {
                let inner = self.or()?;
                match self.peek() {
                    Some(Token::Close) => {
                        self.next += 1;
                        Ok(inner)
                    }
                    _ => Err(error(self.at(), "expected `)`")),
                }
            }
            Token::Ident(word) => match word.as_str() {
                "yes" => Ok(Ast::Bool(true)),
                "no" => Ok(Ast::Bool(false)),
                "null" => Ok(Ast::Null),
                _ => {
                    if self.peek() != Some(&Token::Open) {
                        return Err(error(at, format!("`{word}` is neither a function call nor yes, no or null")));
                    }
                    self.next += 1;
                    let mut args = Vec::new();
                    if self.peek() == Some(&Token::Close) {
                        self.next += 1;
                        return Ok(Ast::Call(word, args));
                    }
                    loop {
                        args.push(self.or()?);
                        match self.peek() {
                            Some(Token::Comma) => self.next += 1,
                            Some(Token::Close) => {
                                self.next += 1;
                                return Ok(Ast::Call(word, args));
                            }
                            _ => return Err(error(self.at(), format!("expected `,` or `)` in the arguments of `{word}`"))),
                        }
                    }
                }
            },
            Token::Op(op) => Err(error(at, format!("unexpected `{op}`"))),
            Token::Close => Err(error(at, "unexpected `)`")),
            Token::Comma => Err(error(at, "unexpected `,`")),
        }
    }
}

/// Parses a whole expression.
pub fn parse(text: &str) -> Result<Ast, ParseError> {
    if text.len() > MAX_LENGTH {
        return Err(error(0, format!("the expression is longer than {MAX_LENGTH} bytes")));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(error(0, "the expression is empty"));
    }
    let mut parser = Parser { tokens, next: 0, end: text.len(), depth: 0 };
    let ast = parser.or()?;
    if parser.next < parser.tokens.len() {
        return Err(error(parser.at(), "unexpected text after the expression"));
    }
    Ok(ast)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_looker() {
        let ast = parse("${a.x} + 2 * 3 > 7 AND NOT ${a.y} OR yes").unwrap();
        let Ast::Binary("OR", left, right) = ast else { panic!("OR at the top") };
        assert_eq!(*right, Ast::Bool(true));
        let Ast::Binary("AND", cmp, not) = *left else { panic!("AND under OR") };
        assert!(matches!(*not, Ast::Unary("NOT", _)));
        let Ast::Binary(">", sum, _) = *cmp else { panic!("comparison") };
        let Ast::Binary("+", _, product) = *sum else { panic!("sum") };
        assert!(matches!(*product, Ast::Binary("*", _, _)));
    }

    #[test]
    fn literals_calls_and_comments() {
        let ast = parse("if(contains(${u.name}, \"a\\\"b\"), matches_filter(${o.created_date}, `7 days`), null) # note").unwrap();
        let Ast::Call(name, args) = ast else { panic!("call") };
        assert_eq!(name, "if");
        assert_eq!(args[2], Ast::Null);
        let Ast::Call(_, inner) = &args[0] else { panic!("contains") };
        assert_eq!(inner[1], Ast::String("a\"b".into()));
        let Ast::Call(_, matches) = &args[1] else { panic!("matches") };
        assert_eq!(matches[1], Ast::Filter("7 days".into()));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for text in ["", "(", "1 +", "${", "${a b}", "\"open", "`open", "foo", "1 2", "a(1,", "$x", "1..2", ")", "NOT", "@"] {
            assert!(parse(text).is_err(), "{text}");
        }
        let deep = "(".repeat(10_000) + "1" + &")".repeat(10_000);
        assert!(parse(&deep).is_err());
        assert!(parse(&"-".repeat(5_000)).is_err());
    }
}
