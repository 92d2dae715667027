//! Numbers as exact decimal digits. Value formats scale (`%`, trailing `,`), round and lay out
//! digits; doing that on digits rather than on `f64` keeps a DECIMAL column's value exact and
//! rounds halves away from zero as Looker does (`2.675` with two decimals is `2.68`).

/// A finite number: a sign, integer digits without leading zeros, fraction digits without
/// trailing zeros (each digit 0–9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    negative: bool,
    int: Vec<u8>,
    frac: Vec<u8>,
}

impl Number {
    /// `-?digits(.digits)?` (as databases print DECIMALs); `None` for anything else.
    pub fn parse(text: &str) -> Option<Number> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let digits = |s: &str| s.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect::<Option<Vec<u8>>>();
        Some(Number { negative, int: digits(whole)?, frac: digits(fraction)? }.normalised())
    }

    /// `None` for NaN and infinities. The shortest digits that read back as `value`.
    pub fn from_f64(value: f64) -> Option<Number> {
        // Rust prints every finite f64 positionally (never with an exponent).
        value.is_finite().then(|| Number::parse(&format!("{value}"))).flatten()
    }

    pub fn from_i64(value: i64) -> Number {
        Number::parse(&value.to_string()).unwrap_or_else(Number::zero)
    }

    pub fn zero() -> Number {
        Number { negative: false, int: Vec::new(), frac: Vec::new() }
    }

    pub fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative && !self.is_zero()
    }

    pub fn abs(&self) -> Number {
        Number { negative: false, ..self.clone() }
    }

    /// An approximation, for comparisons with a format's conditions.
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(0.0)
    }

    /// The number times 10^`places` (negative: divided).
    pub fn shifted(&self, places: i32) -> Number {
        let mut digits: Vec<u8> = self.int.iter().chain(&self.frac).copied().collect();
        let mut point = self.int.len() as i64 + places as i64;
        if point < 0 {
            let pad = (-point) as usize;
            digits.splice(0..0, std::iter::repeat_n(0, pad));
            point = 0;
        }
        let point = point as usize;
        if point > digits.len() {
            digits.resize(point, 0);
        }
        let frac = digits.split_off(point);
        Number { negative: self.negative, int: digits, frac }.normalised()
    }

    /// Rounded to `decimals` fraction digits, halves away from zero.
    pub fn rounded(&self, decimals: usize) -> Number {
        if self.frac.len() <= decimals {
            return self.clone();
        }
        let up = self.frac[decimals] >= 5;
        let mut digits: Vec<u8> = self.int.iter().chain(&self.frac[..decimals]).copied().collect();
        let mut int_len = self.int.len();
        if up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    int_len += 1;
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        let frac = digits.split_off(int_len);
        Number { negative: self.negative, int: digits, frac }.normalised()
    }

    /// The integer digits (`""` for zero).
    pub fn int_digits(&self) -> String {
        self.int.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The fraction digits, padded with zeros to at least `len`.
    pub fn frac_digits(&self, len: usize) -> String {
        let mut text: String = self.frac.iter().map(|d| char::from(b'0' + d)).collect();
        while text.len() < len {
            text.push('0');
        }
        text
    }

    /// The power of ten of the first significant digit (`1234` → 3, `0.05` → -2; 0 for zero).
    pub fn magnitude(&self) -> i32 {
        if !self.int.is_empty() {
            return self.int.len() as i32 - 1;
        }
        match self.frac.iter().position(|&d| d != 0) {
            Some(at) => -(at as i32) - 1,
            None => 0,
        }
    }

    fn normalised(mut self) -> Number {
        let leading = self.int.iter().take_while(|&&d| d == 0).count();
        self.int.drain(..leading);
        while self.frac.last() == Some(&0) {
            self.frac.pop();
        }
        if self.is_zero() {
            self.negative = false;
        }
        self
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_negative() {
            f.write_str("-")?;
        }
        match self.int.is_empty() {
            true => f.write_str("0")?,
            false => f.write_str(&self.int_digits())?,
        }
        if !self.frac.is_empty() {
            write!(f, ".{}", self.frac_digits(0))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(n("-0012345678901234567890.1200").to_string(), "-12345678901234567890.12");
        assert_eq!(n("-0.0").to_string(), "0");
        assert_eq!(Number::from_f64(0.1 + 0.2).unwrap().to_string(), "0.30000000000000004");
        assert_eq!(Number::from_f64(1e21).unwrap().to_string(), "1000000000000000000000");
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert_eq!(Number::parse("1e5"), None);
        assert_eq!(Number::parse("."), None);
    }

    #[test]
    fn rounds_halves_away_from_zero() {
        assert_eq!(n("2.675").rounded(2).to_string(), "2.68");
        assert_eq!(n("-2.5").rounded(0).to_string(), "-3");
        assert_eq!(n("999.96").rounded(1).to_string(), "1000");
        assert_eq!(n("0.004").rounded(2).to_string(), "0");
        assert_eq!(n("1.2").rounded(4).to_string(), "1.2");
    }

    #[test]
    fn shifts_the_point() {
        assert_eq!(n("0.1234").shifted(2).to_string(), "12.34");
        assert_eq!(n("1234567").shifted(-6).to_string(), "1.234567");
        assert_eq!(n("5").shifted(-3).to_string(), "0.005");
        assert_eq!(n("5").shifted(3).to_string(), "5000");
        assert_eq!((n("1234").magnitude(), n("0.05").magnitude()), (3, -2));
    }
}
