//! The subset of Liquid that real LookML projects use in SQL, parsed into a small tree when the
//! project loads (so an unsupported tag is a located error there, never text sent to the
//! database) and rendered per query by the SQL crate:
//!
//! - `{% condition filter_or_field %} sql {% endcondition %}` — the user's filter applied to `sql`
//! - `{% parameter p %}`, `{% date_start f %}`, `{% date_end f %}`
//! - `{% if %}` / `{% elsif %}` / `{% else %}` / `{% endif %}`, `{% unless %}`, with `==`, `!=`,
//!   `<`, `>`, `<=`, `>=`, `contains`, `and`, `or`
//! - `{{ expr | filter … }}` with the variables `_filters['view.field']`,
//!   `_user_attributes['name']`, `view.field._is_selected` / `._in_query` / `._is_filtered`,
//!   `view._in_query`, `p._parameter_value`, `_view._name`, `_model._name`, `_explore._name`,
//!   `_query._query_timezone`, and the filters `sql_quote`, `upcase`, `downcase`, `split`,
//!   `join`, `url_encode`, `strip`.

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Output {
        value: Expr,
        filters: Vec<Filter>,
    },
    /// `{% condition field %} sql {% endcondition %}`.
    Condition {
        field: String,
        body: Vec<Node>,
    },
    Parameter(String),
    DateStart(String),
    DateEnd(String),
    /// `if`/`elsif` branches in order, then `else`; `unless` is an `if` on the negation.
    If {
        branches: Vec<(Cond, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Truthy(Expr),
    Compare(Expr, CompareOp, Expr),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    Number(f64),
    Bool(bool),
    Nil,
    /// A variable path: `users.state._is_filtered` is `["users", "state", "_is_filtered"]`,
    /// `_filters['a.b']` is `["_filters", "a.b"]`.
    Var(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: String,
    pub args: Vec<Expr>,
}

/// A Liquid error: what is wrong and at which byte of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidError {
    pub offset: usize,
    pub message: String,
}

const FILTERS: &[&str] = &["sql_quote", "upcase", "downcase", "split", "join", "url_encode", "strip", "replace", "default", "size"];
const MAX_DEPTH: usize = 32;

/// Whether `text` holds Liquid at all.
pub fn has_liquid(text: &str) -> bool {
    text.as_bytes().windows(2).any(|w| w[0] == b'{' && (w[1] == b'%' || w[1] == b'{'))
}

pub fn parse_liquid(text: &str) -> Result<Template, LiquidError> {
    let tokens = tokenize(text)?;
    let mut pos = 0;
    let nodes = parse_nodes(&tokens, &mut pos, &[], 0)?;
    if let Some(t) = tokens.get(pos) {
        return Err(LiquidError { offset: t.offset, message: "unexpected closing tag".into() });
    }
    Ok(Template { nodes })
}

#[derive(Debug, Clone)]
enum Token {
    Text(String),
    Output(String),
    Tag(String),
}

#[derive(Debug, Clone)]
struct Located {
    token: Token,
    offset: usize,
}

impl std::ops::Deref for Located {
    type Target = Token;
    fn deref(&self) -> &Token {
        &self.token
    }
}

fn tokenize(text: &str) -> Result<Vec<Located>, LiquidError> {
    let mut out = Vec::new();
    let mut rest = 0;
    loop {
        let next = [text[rest..].find("{{"), text[rest..].find("{%")].into_iter().flatten().min();
        let Some(at) = next.map(|n| rest + n) else {
            if rest < text.len() {
                out.push(Located { token: Token::Text(text[rest..].to_string()), offset: rest });
            }
            return Ok(out);
        };
        if at > rest {
            out.push(Located { token: Token::Text(text[rest..at].to_string()), offset: rest });
        }
        let (close, is_tag) = if text[at..].starts_with("{%") { ("%}", true) } else { ("}}", false) };
        let Some(end) = text[at + 2..].find(close).map(|n| at + 2 + n) else {
            return Err(LiquidError { offset: at, message: format!("`{}` is never closed with `{close}`", &text[at..at + 2]) });
        };
        let inner = text[at + 2..end].trim_matches('-').trim().to_string();
        out.push(Located { token: if is_tag { Token::Tag(inner) } else { Token::Output(inner) }, offset: at });
        rest = end + 2;
    }
}

fn tag_word(tag: &str) -> (&str, &str) {
    let tag = tag.trim();
    match tag.find(char::is_whitespace) {
        Some(i) => (&tag[..i], tag[i..].trim()),
        None => (tag, ""),
    }
}

fn parse_nodes(tokens: &[Located], pos: &mut usize, stop: &[&str], depth: usize) -> Result<Vec<Node>, LiquidError> {
    if depth > MAX_DEPTH {
        let offset = tokens.get(*pos).map(|t| t.offset).unwrap_or(0);
        return Err(LiquidError { offset, message: format!("Liquid blocks nest more than {MAX_DEPTH} deep") });
    }
    let mut nodes = Vec::new();
    while let Some(t) = tokens.get(*pos) {
        match &t.token {
            Token::Text(s) => {
                nodes.push(Node::Text(s.clone()));
                *pos += 1;
            }
            Token::Output(s) => {
                let (value, filters) = parse_output(s).map_err(|m| LiquidError { offset: t.offset, message: m })?;
                nodes.push(Node::Output { value, filters });
                *pos += 1;
            }
            Token::Tag(tag) => {
                let (word, args) = tag_word(tag);
                if stop.contains(&word) {
                    return Ok(nodes);
                }
                let err = |m: String| LiquidError { offset: t.offset, message: m };
                *pos += 1;
                match word {
                    "condition" => {
                        let field = single_name(args).map_err(err)?;
                        let body = parse_nodes(tokens, pos, &["endcondition"], depth + 1)?;
                        expect_end(tokens, pos, "endcondition", t.offset)?;
                        nodes.push(Node::Condition { field, body });
                    }
                    "parameter" => nodes.push(Node::Parameter(single_name(args).map_err(err)?)),
                    "date_start" => nodes.push(Node::DateStart(single_name(args).map_err(err)?)),
                    "date_end" => nodes.push(Node::DateEnd(single_name(args).map_err(err)?)),
                    "if" | "unless" => {
                        let first = parse_cond(args).map_err(err)?;
                        let first = if word == "unless" { Cond::Not(Box::new(first)) } else { first };
                        let end = if word == "if" { "endif" } else { "endunless" };
                        let mut branches = Vec::new();
                        let mut otherwise = Vec::new();
                        let mut cond = first;
                        loop {
                            let body = parse_nodes(tokens, pos, &["elsif", "else", end], depth + 1)?;
                            branches.push((cond, body));
                            let Some(next) = tokens.get(*pos) else {
                                return Err(err(format!("`{{% {word} %}}` is never closed with `{{% {end} %}}`")));
                            };
                            let Token::Tag(next_tag) = &next.token else { unreachable!("stopped at a tag") };
                            let (next_word, next_args) = tag_word(next_tag);
                            *pos += 1;
                            match next_word {
                                "elsif" => cond = parse_cond(next_args).map_err(|m| LiquidError { offset: next.offset, message: m })?,
                                "else" => {
                                    otherwise = parse_nodes(tokens, pos, &[end], depth + 1)?;
                                    expect_end(tokens, pos, end, t.offset)?;
                                    break;
                                }
                                _ => break,
                            }
                        }
                        nodes.push(Node::If { branches, otherwise });
                    }
                    "comment" => {
                        parse_nodes(tokens, pos, &["endcomment"], depth + 1)?;
                        expect_end(tokens, pos, "endcomment", t.offset)?;
                    }
                    other => return Err(err(format!("the Liquid tag `{{% {other} %}}` is not supported yet"))),
                }
            }
        }
    }
    if stop.is_empty() {
        Ok(nodes)
    } else {
        let offset = tokens.last().map(|t| t.offset).unwrap_or(0);
        Err(LiquidError { offset, message: format!("a block is never closed: expected `{{% {} %}}`", stop[stop.len() - 1]) })
    }
}

fn expect_end(tokens: &[Located], pos: &mut usize, end: &str, opened: usize) -> Result<(), LiquidError> {
    match tokens.get(*pos).map(|t| &t.token) {
        Some(Token::Tag(tag)) if tag_word(tag).0 == end => {
            *pos += 1;
            Ok(())
        }
        _ => Err(LiquidError { offset: opened, message: format!("this block is never closed with `{{% {end} %}}`") }),
    }
}

fn single_name(args: &str) -> Result<String, String> {
    let name = args.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') {
        return Err(format!("expected a field name, found `{name}`"));
    }
    Ok(name.to_string())
}

fn parse_output(text: &str) -> Result<(Expr, Vec<Filter>), String> {
    let mut parts = split_outside_quotes(text, '|').into_iter();
    let value = parse_expr(parts.next().unwrap_or_default().trim())?;
    let mut filters = Vec::new();
    for part in parts {
        let part = part.trim();
        let (name, args) = match part.split_once(':') {
            Some((n, a)) => (n.trim(), a.trim()),
            None => (part, ""),
        };
        if !FILTERS.contains(&name) {
            return Err(format!("the Liquid filter `{name}` is not supported yet"));
        }
        let args = if args.is_empty() {
            Vec::new()
        } else {
            split_outside_quotes(args, ',').into_iter().map(|a| parse_expr(a.trim())).collect::<Result<_, _>>()?
        };
        filters.push(Filter { name: name.to_string(), args });
    }
    Ok((value, filters))
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                current.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, c) if c == sep => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out
}

fn parse_cond(text: &str) -> Result<Cond, String> {
    let words = split_words(text)?;
    if words.is_empty() {
        return Err("a condition is missing".into());
    }
    // Liquid evaluates `and`/`or` right to left without precedence.
    if let Some(i) = words.iter().position(|w| w == "and" || w == "or") {
        let left = parse_simple(&words[..i])?;
        let right = parse_cond(&words[i + 1..].join(" "))?;
        return Ok(if words[i] == "and" { Cond::And(Box::new(left), Box::new(right)) } else { Cond::Or(Box::new(left), Box::new(right)) });
    }
    parse_simple(&words)
}

fn parse_simple(words: &[String]) -> Result<Cond, String> {
    match words {
        [one] => Ok(Cond::Truthy(parse_expr(one)?)),
        [a, op, b] => {
            let op = match op.as_str() {
                "==" => CompareOp::Eq,
                "!=" | "<>" => CompareOp::Ne,
                "<" => CompareOp::Lt,
                ">" => CompareOp::Gt,
                "<=" => CompareOp::Le,
                ">=" => CompareOp::Ge,
                "contains" => CompareOp::Contains,
                other => return Err(format!("`{other}` is not a Liquid comparison")),
            };
            Ok(Cond::Compare(parse_expr(a)?, op, parse_expr(b)?))
        }
        _ => Err(format!("cannot read the condition `{}`", words.join(" "))),
    }
}

/// Words of a condition, keeping quoted strings and `['…']` subscripts whole.
fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    let mut bracket = 0;
    for c in text.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                current.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, '[') => {
                bracket += 1;
                current.push(c);
            }
            (None, ']') => {
                bracket -= 1;
                current.push(c);
            }
            (None, c) if c.is_whitespace() && bracket == 0 => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if quote.is_some() {
        return Err("a string in the condition is never closed".into());
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

fn parse_expr(text: &str) -> Result<Expr, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an expression is missing".into());
    }
    if let Some(s) =
        text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')).or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
    {
        return Ok(Expr::Str(s.to_string()));
    }
    match text {
        "true" => return Ok(Expr::Bool(true)),
        "false" => return Ok(Expr::Bool(false)),
        "nil" | "null" | "blank" | "empty" => return Ok(Expr::Nil),
        _ => {}
    }
    if let Ok(n) = text.parse::<f64>() {
        return Ok(Expr::Number(n));
    }
    // `a.b['c.d'].e` → ["a", "b", "c.d", "e"].
    let mut path = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(|| format!("`{text}`: `[` is never closed"))?;
            let key = inner[..close].trim();
            let key = key.trim_matches(|c| c == '\'' || c == '"');
            path.push(key.to_string());
            rest = inner[close + 1..].trim_start_matches('.');
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let name = &rest[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!("`{text}` is not a Liquid variable"));
            }
            path.push(name.to_string());
            rest = rest[end..].strip_prefix('.').unwrap_or(&rest[end..]);
        }
    }
    Ok(Expr::Var(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templated_filters_and_parameters_parse() {
        let t = parse_liquid("SELECT * FROM t WHERE {% condition orders.status %} t.status {% endcondition %} AND x = {% parameter p %}")
            .unwrap();
        assert!(matches!(&t.nodes[1], Node::Condition { field, .. } if field == "orders.status"));
        assert!(matches!(&t.nodes[3], Node::Parameter(p) if p == "p"));
    }

    #[test]
    fn if_elsif_else_and_outputs_with_filters() {
        let t = parse_liquid("{% if p._parameter_value == \"'day'\" and users.state._is_filtered %}a{% elsif x %}b{% else %}c{% endif %}{{ _filters['users.state'] | sql_quote }}").unwrap();
        let Node::If { branches, otherwise } = &t.nodes[0] else { panic!("{t:?}") };
        assert_eq!(branches.len(), 2);
        assert_eq!(otherwise, &vec![Node::Text("c".into())]);
        assert!(
            matches!(&t.nodes[1], Node::Output { value: Expr::Var(p), filters } if p == &["_filters", "users.state"] && filters[0].name == "sql_quote")
        );
    }

    #[test]
    fn unsupported_and_malformed_liquid_is_located() {
        assert_eq!(
            parse_liquid("a {% for x in y %}").unwrap_err(),
            LiquidError { offset: 2, message: "the Liquid tag `{% for %}` is not supported yet".into() }
        );
        assert!(parse_liquid("a {% if x %} b").unwrap_err().message.contains("never closed"));
        assert!(parse_liquid("{{ x | evil }}").unwrap_err().message.contains("`evil`"));
        assert!(parse_liquid("{{ x ").unwrap_err().message.contains("never closed"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "{% if a %}".repeat(100);
        assert!(parse_liquid(&text).unwrap_err().message.contains("nest"));
    }
}
