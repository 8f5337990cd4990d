//! Just enough JSON for the plugin's settings: the numbers of a flat object.

/// The number members of a JSON object (other members are skipped).
pub fn numbers(text: &str) -> Result<Vec<(String, f64)>, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let mut out = Vec::new();
    p.expect(b'{')?;
    if p.peek() == Some(b'}') {
        p.i += 1;
        return p.end().map(|_| out);
    }
    loop {
        let key = p.string()?;
        p.expect(b':')?;
        if let Some(v) = p.value()? {
            out.push((key, v));
        }
        match p.peek() {
            Some(b',') => p.i += 1,
            Some(b'}') => {
                p.i += 1;
                break;
            }
            _ => return Err("expected ',' or '}'".into()),
        }
    }
    p.end().map(|_| out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Option<u8> {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() != Some(c) {
            return Err(format!("expected '{}' at byte {}", c as char, self.i));
        }
        self.i += 1;
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err("trailing characters".into()),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|_| "string is not UTF-8".into()),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("unterminated string")?;
                    self.i += 1;
                    match e {
                        b'u' => {
                            self.i += 4; // settings are ASCII: keep a placeholder
                            out.push(b'?');
                        }
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        _ => out.push(e),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    /// A number, or None for any other value (skipped).
    fn value(&mut self) -> Result<Option<f64>, String> {
        match self.peek() {
            Some(b'"') => self.string().map(|_| None),
            Some(b'{') | Some(b'[') => {
                let mut depth = 0i32;
                loop {
                    match self.peek() {
                        None => return Err("unterminated object or array".into()),
                        Some(b'"') => {
                            self.string()?;
                            continue;
                        }
                        Some(b'{') | Some(b'[') => depth += 1,
                        Some(b'}') | Some(b']') => depth -= 1,
                        _ => {}
                    }
                    self.i += 1;
                    if depth == 0 {
                        return Ok(None);
                    }
                }
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b'}' | b']') && !self.s[self.i].is_ascii_whitespace() {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "bad value")?;
                match word {
                    "true" | "false" | "null" => Ok(None),
                    _ => word
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .map(Some)
                        .ok_or_else(|| format!("bad value '{word}'")),
                }
            }
            None => Err("expected a value".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::numbers;

    #[test]
    fn reads_numbers_and_skips_the_rest() {
        let v = numbers(r#"{"blur_threshold": 150, "name": "x,}", "nested": {"a": [1, 2]}, "on": true, "f": -1.5e1}"#).unwrap();
        assert_eq!(v, vec![("blur_threshold".to_string(), 150.0), ("f".to_string(), -15.0)]);
        assert!(numbers("{}").unwrap().is_empty());
        assert!(numbers("{").is_err());
        assert!(numbers(r#"{"a": 1} x"#).is_err());
    }
}
