//! Excel-style number formats as Looker reads them in `value_format` (and as its built-in
//! `value_format_name`s are defined): digit placeholders `0 # ?`, the decimal point, `,` for
//! thousands (or, trailing, for dividing by 1,000), `%`, `E+00`, quoted and escaped literals,
//! `positive;negative;zero` sections and `[>=1000]` conditions. Looker refuses date and time
//! codes and fractions in value formats, and so does [`ValueFormat::parse`], by name.

use thiserror::Error;

use crate::Number;

/// A format string Sightline cannot apply, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("value format `{format}`: {message}")]
pub struct ValueFormatError {
    pub format: String,
    pub message: String,
}

/// A parsed format string, applied with [`ValueFormat::format`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValueFormat {
    sections: Vec<Section>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    /// A digit placeholder before the point (`0`, `#` or `?`).
    Int(char),
    Point,
    /// A digit placeholder after the point.
    Frac(char),
    /// `E+`/`E-` and the exponent's digit count.
    Exponent {
        always_sign: bool,
        digits: usize,
    },
    /// `General`: the number as it is.
    General,
    /// `@`: the text section's value (numbers never reach it).
    Text,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Section {
    condition: Option<(Comparison, f64)>,
    parts: Vec<Part>,
    grouping: bool,
    /// Powers of ten the value is multiplied by: +2 per `%`, -3 per trailing `,`.
    scale: i32,
}

impl Section {
    fn is_text(&self) -> bool {
        self.parts.contains(&Part::Text)
    }

    fn count(&self, placeholder: fn(&Part) -> bool) -> usize {
        self.parts.iter().filter(|p| placeholder(p)).count()
    }
}

const COLORS: [&str; 8] = ["black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"];

impl ValueFormat {
    pub fn parse(text: &str) -> Result<ValueFormat, ValueFormatError> {
        let error = |message: String| ValueFormatError { format: text.to_string(), message };
        let sections = split_sections(text).map_err(error)?;
        if sections.len() > 4 {
            return Err(error(format!("{} sections (at most 4: positive;negative;zero;text)", sections.len())));
        }
        let sections = sections.iter().map(|s| parse_section(s)).collect::<Result<Vec<_>, _>>().map_err(error)?;
        Ok(ValueFormat { sections })
    }

    /// `number` in this format.
    pub fn format(&self, number: &Number) -> String {
        let numeric: Vec<&Section> = self.sections.iter().filter(|s| !s.is_text()).collect();
        let Some(first) = numeric.first() else { return default_text(number) };
        if numeric.iter().any(|s| s.condition.is_some()) {
            let value = number.to_f64();
            let chosen = numeric
                .iter()
                .find(|s| s.condition.is_some_and(|c| matches(c, value)))
                .or_else(|| numeric.iter().find(|s| s.condition.is_none()));
            return match chosen {
                Some(section) => signed(number, section),
                None => default_text(number),
            };
        }
        match (number.is_negative(), number.is_zero()) {
            (true, _) if numeric.len() >= 2 => format_section(&number.abs(), numeric[1]),
            (false, true) if numeric.len() >= 3 => format_section(number, numeric[2]),
            _ => signed(number, first),
        }
    }
}

/// The number as Looker shows one without a format: its digits grouped by thousands.
pub fn default_text(number: &Number) -> String {
    let mut out = String::new();
    if number.is_negative() {
        out.push('-');
    }
    let int = number.int_digits();
    out.push_str(&group(if int.is_empty() { "0" } else { &int }));
    let frac = number.frac_digits(0);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    out
}

fn matches((comparison, bound): (Comparison, f64), value: f64) -> bool {
    match comparison {
        Comparison::Less => value < bound,
        Comparison::LessOrEqual => value <= bound,
        Comparison::Greater => value > bound,
        Comparison::GreaterOrEqual => value >= bound,
        Comparison::Equal => value == bound,
        Comparison::NotEqual => value != bound,
    }
}

/// The section applied to the magnitude, with a `-` in front when the number is negative and
/// does not round to zero.
fn signed(number: &Number, section: &Section) -> String {
    let text = format_section(&number.abs(), section);
    let shows_digits = text.chars().any(|c| c.is_ascii_digit() && c != '0');
    match number.is_negative() && shows_digits {
        true => format!("-{text}"),
        false => text,
    }
}

fn split_sections(text: &str) -> Result<Vec<String>, String> {
    let mut sections = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let current = sections.last_mut().expect("there is always a section");
        match c {
            ';' => sections.push(String::new()),
            '"' => {
                current.push(c);
                loop {
                    match chars.next() {
                        Some('"') => break current.push('"'),
                        Some(inner) => current.push(inner),
                        None => return Err("a quoted literal is not closed".into()),
                    }
                }
            }
            '\\' | '_' | '*' => {
                current.push(c);
                current.push(chars.next().ok_or_else(|| format!("`{c}` at the end needs a character after it"))?);
            }
            _ => current.push(c),
        }
    }
    Ok(sections)
}

fn parse_section(text: &str) -> Result<Section, String> {
    let mut section = Section::default();
    let mut chars = text.chars().peekable();
    let (mut after_point, mut in_exponent, mut seen_int_digit) = (false, false, false);
    let mut pending_commas = 0;
    let literal = |section: &mut Section, s: String| match section.parts.last_mut() {
        Some(Part::Literal(previous)) => previous.push_str(&s),
        _ => section.parts.push(Part::Literal(s)),
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let quoted: String = chars.by_ref().take_while(|&q| q != '"').collect();
                literal(&mut section, quoted);
            }
            '\\' | '*' => literal(&mut section, chars.next().map(String::from).unwrap_or_default()),
            '_' => {
                chars.next();
                literal(&mut section, " ".into());
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|&q| q != ']').collect();
                bracket(&mut section, &inner)?;
            }
            '0' | '#' | '?' if in_exponent => match section.parts.last_mut() {
                Some(Part::Exponent { digits, .. }) => *digits += 1,
                _ => return Err("digits after an exponent's literal text".into()),
            },
            '0' | '#' | '?' if after_point => section.parts.push(Part::Frac(c)),
            '0' | '#' | '?' => {
                if pending_commas > 0 {
                    section.grouping = true;
                    pending_commas = 0;
                }
                seen_int_digit = true;
                section.parts.push(Part::Int(c));
            }
            // Between integer digits a `,` groups thousands; after the last digit it divides by 1,000.
            ',' if (seen_int_digit || after_point) && !in_exponent => pending_commas += 1,
            '.' if !after_point && !in_exponent => {
                section.scale -= 3 * std::mem::take(&mut pending_commas);
                after_point = true;
                section.parts.push(Part::Point);
            }
            '%' => {
                section.scale += 2;
                literal(&mut section, "%".into());
            }
            'E' | 'e' if matches!(chars.peek(), Some('+' | '-')) => {
                section.scale -= 3 * std::mem::take(&mut pending_commas);
                let always_sign = chars.next() == Some('+');
                in_exponent = true;
                section.parts.push(Part::Exponent { always_sign, digits: 0 });
            }
            '@' => section.parts.push(Part::Text),
            'G' | 'g' if is_general(c, &mut chars) => section.parts.push(Part::General),
            '/' => return Err("fractions (`/`) are not supported in value formats".into()),
            c if c.is_ascii_alphabetic() => {
                return Err(format!(
                "`{c}` is a date or time code or an unquoted letter: Looker value formats take numbers only (quote literal text: \"{c}\")"
            ))
            }
            c => literal(&mut section, c.to_string()),
        }
    }
    section.scale -= 3 * pending_commas;
    if section.parts.iter().any(|p| matches!(p, Part::Exponent { digits: 0, .. })) {
        return Err("an exponent (`E+`) needs digit placeholders after it (`E+00`)".into());
    }
    Ok(section)
}

/// Consumes `eneral` after a `G` (any case) when it is there.
fn is_general(first: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let rest: String = chars.clone().take(6).collect();
    if first.eq_ignore_ascii_case(&'g') && rest.eq_ignore_ascii_case("eneral") {
        chars.nth(5);
        return true;
    }
    false
}

/// `[>=1000]` conditions, `[$€-407]` currency symbols, colours (which change no text).
fn bracket(section: &mut Section, inner: &str) -> Result<(), String> {
    let comparisons = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("<>", Comparison::NotEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
        ("=", Comparison::Equal),
    ];
    for (operator, comparison) in comparisons {
        if let Some(bound) = inner.strip_prefix(operator) {
            let bound = bound.trim().parse::<f64>().map_err(|_| format!("`[{inner}]`: the condition needs a number"))?;
            if section.condition.replace((comparison, bound)).is_some() {
                return Err(format!("`[{inner}]`: a section takes one condition"));
            }
            return Ok(());
        }
    }
    if let Some(currency) = inner.strip_prefix('$') {
        let symbol = currency.split('-').next().unwrap_or_default();
        match section.parts.last_mut() {
            Some(Part::Literal(previous)) => previous.push_str(symbol),
            _ => section.parts.push(Part::Literal(symbol.to_string())),
        }
        return Ok(());
    }
    let lower = inner.to_ascii_lowercase();
    if COLORS.contains(&lower.as_str()) || lower.strip_prefix("color").is_some_and(|n| n.parse::<u8>().is_ok()) {
        return Ok(());
    }
    Err(format!("`[{inner}]` is not supported in value formats (conditions, `[$symbol]` and colours are)"))
}

/// `12345` with thousands separators: `12,345`.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fill(placeholder: char) -> &'static str {
    match placeholder {
        '0' => "0",
        '?' => " ",
        _ => "",
    }
}

/// A non-negative `number` laid out by `section`.
fn format_section(number: &Number, section: &Section) -> String {
    let int_places = section.count(|p| matches!(p, Part::Int(_)));
    let frac_places = section.count(|p| matches!(p, Part::Frac(_)));
    let mut value = number.shifted(section.scale);
    let mut exponent = 0i32;
    if section.parts.iter().any(|p| matches!(p, Part::Exponent { .. })) {
        let width = int_places.max(1) as i32;
        if !value.is_zero() {
            exponent = value.magnitude() - (width - 1);
            if value.shifted(-exponent).rounded(frac_places).magnitude() >= width {
                exponent += 1;
            }
        }
        value = value.shifted(-exponent);
    }
    let unrounded = value.clone();
    let value = value.rounded(frac_places);
    let int = value.int_digits();
    let frac = fraction_text(&value.frac_digits(frac_places), &section.parts);
    let int_texts = integer_texts(&int, section);
    let (mut int_at, mut frac_at) = (0, 0);
    let mut out = String::new();
    for part in &section.parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Int(_) => {
                out.push_str(&int_texts[int_at]);
                int_at += 1;
            }
            Part::Point => {
                if int_places == 0 {
                    out.push_str(&int);
                }
                out.push('.');
            }
            Part::Frac(_) => {
                out.push_str(&frac[frac_at]);
                frac_at += 1;
            }
            Part::Exponent { always_sign, digits } => {
                let sign = match (exponent < 0, always_sign) {
                    (true, _) => "-",
                    (false, true) => "+",
                    (false, false) => "",
                };
                out.push_str(&format!("E{sign}{:0width$}", exponent.unsigned_abs(), width = *digits));
            }
            Part::General => out.push_str(&default_text(&unrounded)),
            Part::Text => {}
        }
    }
    out
}

/// What each integer placeholder shows: digits filled from the right, the extra leading digits
/// on the first; grouped formats put the whole grouped number on the first placeholder.
fn integer_texts(int: &str, section: &Section) -> Vec<String> {
    let placeholders: Vec<char> = section.parts.iter().filter_map(|p| if let Part::Int(c) = p { Some(*c) } else { None }).collect();
    let n = placeholders.len();
    if n == 0 {
        return Vec::new();
    }
    if section.grouping {
        let min_digits = placeholders.iter().position(|&c| c == '0').map(|at| n - at).unwrap_or(0);
        let padded = format!("{int:0>min_digits$}");
        let mut texts = vec![String::new(); n];
        texts[0] = if padded.is_empty() { String::new() } else { group(&padded) };
        return texts;
    }
    let digits: Vec<char> = int.chars().collect();
    let mut texts: Vec<String> = placeholders
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let from_right = n - 1 - i;
            match digits.len().checked_sub(from_right + 1) {
                Some(at) => digits[at].to_string(),
                None => fill(c).to_string(),
            }
        })
        .collect();
    if digits.len() > n {
        let extra: String = digits[..digits.len() - n].iter().collect();
        texts[0] = extra + &texts[0];
    }
    texts
}

/// What each fraction placeholder shows: its digit, except trailing zeros under `#` (nothing)
/// and `?` (a space).
fn fraction_text(digits: &str, parts: &[Part]) -> Vec<String> {
    let placeholders: Vec<char> = parts.iter().filter_map(|p| if let Part::Frac(c) = p { Some(*c) } else { None }).collect();
    let mut texts: Vec<String> = digits.chars().take(placeholders.len()).map(String::from).collect();
    for i in (0..texts.len()).rev() {
        if texts[i] != "0" || placeholders[i] == '0' {
            break;
        }
        texts[i] = fill(placeholders[i]).to_string();
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(format: &str, value: &str) -> String {
        ValueFormat::parse(format).unwrap().format(&Number::parse(value).unwrap())
    }

    #[test]
    fn lookers_documented_examples() {
        assert_eq!(f("0", "123.4"), "123");
        assert_eq!(f("*00#", "1"), "001");
        assert_eq!(f("0.##", "1.5"), "1.5");
        assert_eq!(f("0.00", "1.234"), "1.23");
        assert_eq!(f("00#.00", "1.234"), "001.23");
        assert_eq!(f("#,##0", "1234567.5"), "1,234,568");
        assert_eq!(f("#,##0.00", "1234.5"), "1,234.50");
        assert_eq!(f("0.000,,\"M\"", "1234000"), "1.234M");
        assert_eq!(f("0.000, \"K\"", "1234"), "1.234 K");
        assert_eq!(f("$0", "5"), "$5");
        assert_eq!(f("$0.00", "5"), "$5.00");
        assert_eq!(f("\"€\"0", "5"), "€5");
        assert_eq!(f("$#,##0.00", "-1234.5"), "-$1,234.50");
        assert_eq!(f("$#.00;($#.00)", "-5.5"), "($5.50)");
        assert_eq!(f("0\\%", "1"), "1%");
        assert_eq!(f("0.00\\%", "1"), "1.00%");
        assert_eq!(f("0%", "0.01"), "1%");
        assert_eq!(f("0.00%", "0.123456"), "12.35%");
        let abbreviated = "[>=1000000]0.00,,\"M\";[>=1000]0.00,\"K\";0";
        assert_eq!(f(abbreviated, "1234567"), "1.23M");
        assert_eq!(f(abbreviated, "1234"), "1.23K");
        assert_eq!(f(abbreviated, "12"), "12");
    }

    #[test]
    fn sections_exponents_and_placeholders() {
        assert_eq!(f("0;(0);\"zero\"", "0"), "zero");
        assert_eq!(f("0;(0)", "-3"), "(3)");
        assert_eq!(f("0.00", "-0.001"), "0.00");
        assert_eq!(f("0.00E+00", "12345"), "1.23E+04");
        assert_eq!(f("0.0E+0", "0.00099"), "9.9E-4");
        assert_eq!(f("0.0E+0", "9.99"), "1.0E+1");
        assert_eq!(f("#.00", "0.5"), ".50");
        assert_eq!(f("(000) 000-0000", "5551234567"), "(555) 123-4567");
        assert_eq!(f("0.0??", "1.5"), "1.5  ");
        assert_eq!(f("General", "1234.5"), "1,234.5");
        assert_eq!(f("[Red]0.0;[Blue]-0.0", "-2"), "-2.0");
        assert_eq!(f("[$€-407]#,##0", "1234"), "€1,234");
        assert_eq!(f("0,000", "5"), "0,005");
        // Exact on DECIMALs beyond f64.
        assert_eq!(f("#,##0.00", "12345678901234567890.125"), "12,345,678,901,234,567,890.13");
    }

    #[test]
    fn refuses_what_looker_refuses_by_name() {
        for bad in ["yyyy-mm-dd", "# ?/?", "[h]:mm", "\"open", "0;0;0;@;0", "0.0E+"] {
            let e = ValueFormat::parse(bad).unwrap_err();
            assert_eq!(e.format, bad);
            assert!(!e.message.is_empty());
        }
    }
}
