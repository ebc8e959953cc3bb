//! Text as the detectors see it, with the way back to the bytes it came from.
//!
//! A message reaches the detectors after decoding (quoted-printable, base64, a charset, HTML), so
//! every byte of the decoded text remembers the range of source bytes it came from. Findings are
//! reported in source offsets: what a person highlights is what they sent.

use std::ops::Range;

/// Decoded bytes, each with the source range it came from.
#[derive(Debug, Default, Clone)]
pub(crate) struct Mapped {
    pub bytes: Vec<u8>,
    src: Vec<(u32, u32)>,
}

impl Mapped {
    /// The source bytes themselves: each maps to its own position, from `offset`.
    pub fn source(bytes: &[u8], offset: usize) -> Mapped {
        let src = (0..bytes.len()).map(|i| ((offset + i) as u32, (offset + i + 1) as u32)).collect();
        Mapped { bytes: bytes.to_vec(), src }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Appends `out`, produced from this mapping's bytes `from`.
    fn push_from(&mut self, out: &[u8], input: &Mapped, from: Range<usize>) {
        if from.is_empty() {
            return;
        }
        let span = (input.src[from.start].0, input.src[from.end - 1].1);
        self.bytes.extend_from_slice(out);
        self.src.extend(std::iter::repeat_n(span, out.len()));
    }

    /// Appends another mapping.
    pub fn append(&mut self, other: Mapped) {
        self.bytes.extend_from_slice(&other.bytes);
        self.src.extend(other.src);
    }

    /// The source range of decoded bytes `range`.
    pub fn source_range(&self, range: Range<usize>) -> Range<usize> {
        match (self.src.get(range.start), range.end.checked_sub(1).and_then(|e| self.src.get(e))) {
            (Some(a), Some(b)) if range.end > range.start => a.0 as usize..b.1.max(a.0) as usize,
            (Some(a), _) => a.0 as usize..a.0 as usize,
            _ => self.src.last().map(|s| s.1 as usize..s.1 as usize).unwrap_or(0..0),
        }
    }

    /// Decodes quoted-printable (RFC 2045 § 6.7); malformed escapes are kept as they are.
    pub fn quoted_printable(&self) -> Mapped {
        let b = &self.bytes;
        let mut out = Mapped::default();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' {
                if let (Some(h), Some(l)) = (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                    out.push_from(&[h * 16 + l], self, i..i + 3);
                    i += 3;
                    continue;
                }
                // A soft line break: "=" then optional blanks then a line end.
                let mut j = i + 1;
                while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                    j += 1;
                }
                if b.get(j) == Some(&b'\r') {
                    j += 1;
                }
                if b.get(j) == Some(&b'\n') {
                    i = j + 1;
                    continue;
                }
            }
            out.push_from(&b[i..i + 1], self, i..i + 1);
            i += 1;
        }
        out
    }

    /// Decodes `%XX` escapes (RFC 2231 parameter values), or with `underscore_space` the "Q"
    /// encoding of RFC 2047 (`=XX`, `_` for a space).
    pub fn hex_escapes(&self, escape: u8, underscore_space: bool) -> Mapped {
        let b = &self.bytes;
        let mut out = Mapped::default();
        let mut i = 0;
        while i < b.len() {
            if b[i] == escape {
                if let (Some(h), Some(l)) = (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                    out.push_from(&[h * 16 + l], self, i..i + 3);
                    i += 3;
                    continue;
                }
            }
            let c = if underscore_space && b[i] == b'_' { b' ' } else { b[i] };
            out.push_from(&[c], self, i..i + 1);
            i += 1;
        }
        out
    }

    /// The bytes `range` of this mapping.
    pub fn slice(&self, range: Range<usize>) -> Mapped {
        Mapped { bytes: self.bytes[range.clone()].to_vec(), src: self.src[range].to_vec() }
    }

    /// Without CR and LF: a folded header line unfolded.
    pub fn unfolded(&self) -> Mapped {
        let keep: Vec<usize> = (0..self.len()).filter(|&i| !matches!(self.bytes[i], b'\r' | b'\n')).collect();
        Mapped {
            bytes: keep.iter().map(|&i| self.bytes[i]).collect(),
            src: keep.iter().map(|&i| self.src[i]).collect(),
        }
    }

    /// Decodes base64, skipping whitespace and anything outside the alphabet; each decoded byte
    /// maps to the four characters that carried it.
    pub fn base64(&self) -> Mapped {
        let mut out = Mapped::default();
        let mut quad = [0u8; 4];
        let mut at = [0usize; 4];
        let mut n = 0;
        for (i, &c) in self.bytes.iter().enumerate() {
            let Some(v) = b64(c) else { continue };
            quad[n] = v;
            at[n] = i;
            n += 1;
            if n == 4 {
                let bytes = [quad[0] << 2 | quad[1] >> 4, quad[1] << 4 | quad[2] >> 2, quad[2] << 6 | quad[3]];
                for b in bytes {
                    out.push_from(&[b], self, at[0]..at[3] + 1);
                }
                n = 0;
            }
        }
        // A final group of two or three characters ("==" padding dropped above) still carries bytes.
        if n >= 2 {
            out.push_from(&[quad[0] << 2 | quad[1] >> 4], self, at[0]..at[n - 1] + 1);
            if n == 3 {
                out.push_from(&[quad[1] << 4 | quad[2] >> 2], self, at[0]..at[2] + 1);
            }
        }
        out
    }

    /// Converts from `charset` to UTF-8. Unknown charsets are read as UTF-8. Returns the text and
    /// whether anything had to be replaced (invalid bytes become U+FFFD).
    pub fn to_utf8(&self, charset: &str) -> (Mapped, bool) {
        let charset = charset.trim().to_ascii_lowercase();
        let single_byte = matches!(
            charset.as_str(),
            "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "windows-1252" | "cp1252" | "iso-8859-15" | "us-ascii"
        );
        let mut out = Mapped::default();
        if single_byte {
            for (i, &b) in self.bytes.iter().enumerate() {
                let c = if charset.contains("1252") { cp1252(b) } else { char::from(b) };
                out.push_from(c.encode_utf8(&mut [0; 4]).as_bytes(), self, i..i + 1);
            }
            return (out, false);
        }
        let mut lossy = false;
        let mut rest = &self.bytes[..];
        let mut at = 0;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_each_char(s, self, at);
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    // Proved valid by `valid_up_to`.
                    out.push_each_char(std::str::from_utf8(good).unwrap_or_default(), self, at);
                    at += good.len();
                    let skip = e.error_len().unwrap_or(bad.len()).max(1);
                    out.push_from("\u{FFFD}".as_bytes(), self, at..at + skip);
                    lossy = true;
                    at += skip;
                    rest = &bad[skip..];
                }
            }
        }
        (out, lossy)
    }

    fn push_each_char(&mut self, s: &str, input: &Mapped, at: usize) {
        // Each character keeps the exact source range of its own bytes.
        self.bytes.extend_from_slice(s.as_bytes());
        self.src.extend_from_slice(&input.src[at..at + s.len()]);
    }

    /// The text of an HTML document: tags dropped (block tags become line breaks), comments,
    /// scripts and styles dropped, character references decoded.
    pub fn html_text(&self) -> Mapped {
        let b = &self.bytes;
        let mut out = Mapped::default();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'<' => {
                    if b[i..].starts_with(b"<!--") {
                        let end = find(b, i + 4, b"-->").map_or(b.len(), |e| e + 3);
                        i = end;
                        continue;
                    }
                    let end = b[i..].iter().position(|&c| c == b'>').map_or(b.len(), |e| i + e + 1);
                    let name = tag_name(&b[i + 1..end]);
                    if name == "script" || name == "style" {
                        let close = if name == "script" { &b"</script"[..] } else { &b"</style"[..] };
                        let stop = find_ascii_ci(b, end, close).unwrap_or(b.len());
                        let after = b[stop..].iter().position(|&c| c == b'>').map_or(b.len(), |e| stop + e + 1);
                        out.push_space(b" ", self, i..after);
                        i = after;
                        continue;
                    }
                    let block = matches!(
                        name.as_str(),
                        "br" | "p"
                            | "div"
                            | "li"
                            | "tr"
                            | "td"
                            | "th"
                            | "h1"
                            | "h2"
                            | "h3"
                            | "h4"
                            | "h5"
                            | "h6"
                            | "table"
                            | "ul"
                            | "ol"
                            | "hr"
                            | "title"
                            | "blockquote"
                    );
                    out.push_space(if block { b"\n" } else { b" " }, self, i..end);
                    i = end;
                }
                b'&' => {
                    let end = b[i..].iter().take(12).position(|&c| c == b';').map(|e| i + e + 1);
                    match end.and_then(|e| entity(&b[i + 1..e - 1])) {
                        Some(c) => {
                            let e = end.unwrap_or(i + 1);
                            out.push_from(c.encode_utf8(&mut [0; 4]).as_bytes(), self, i..e);
                            i = e;
                        }
                        None => {
                            out.push_from(b"&", self, i..i + 1);
                            i += 1;
                        }
                    }
                }
                c if c.is_ascii_whitespace() => {
                    out.push_space(b" ", self, i..i + 1);
                    i += 1;
                }
                _ => {
                    out.push_from(&b[i..i + 1], self, i..i + 1);
                    i += 1;
                }
            }
        }
        out
    }

    /// Appends whitespace unless the text already ends in whitespace: HTML collapses it.
    fn push_space(&mut self, out: &[u8], input: &Mapped, from: Range<usize>) {
        match self.bytes.last() {
            Some(b' ') if out == b"\n" => {
                if let Some(last) = self.bytes.last_mut() {
                    *last = b'\n';
                }
            }
            Some(c) if c.is_ascii_whitespace() => {}
            _ => self.push_from(out, input, from),
        }
    }
}

fn hex(c: &u8) -> Option<u8> {
    (*c as char).to_digit(16).map(|d| d as u8)
}

fn b64(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Windows-1252 differs from ISO 8859-1 in 0x80–0x9F; the letters Norwegian mail uses are there.
fn cp1252(b: u8) -> char {
    match b {
        0x80 => '€',
        0x82 => '‚',
        0x84 => '„',
        0x85 => '…',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x96 => '–',
        0x97 => '—',
        0x8A => 'Š',
        0x9A => 'š',
        0x8E => 'Ž',
        0x9E => 'ž',
        _ => char::from(b),
    }
}

pub(crate) fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

fn find_ascii_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)).map(|p| from + p)
}

fn tag_name(inside: &[u8]) -> String {
    let inside = inside.strip_prefix(b"/").unwrap_or(inside);
    inside.iter().take_while(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase() as char).collect()
}

/// A character reference's character: numeric, or the named ones Norwegian text uses.
fn entity(name: &[u8]) -> Option<char> {
    if let Some(num) = name.strip_prefix(b"#") {
        let num = std::str::from_utf8(num).ok()?;
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        b"nbsp" => ' ',
        b"aelig" => 'æ',
        b"AElig" => 'Æ',
        b"oslash" => 'ø',
        b"Oslash" => 'Ø',
        b"aring" => 'å',
        b"Aring" => 'Å',
        b"eacute" => 'é',
        b"Eacute" => 'É',
        b"uuml" => 'ü',
        b"ouml" => 'ö',
        b"auml" => 'ä',
        b"ndash" => '–',
        b"mdash" => '—',
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(m: &Mapped) -> String {
        String::from_utf8(m.bytes.clone()).unwrap()
    }

    #[test]
    fn quoted_printable_maps_back_to_the_escapes() {
        let src = b"F=C3=B8dselsnr: 151086=\r\n95088";
        let m = Mapped::source(src, 0).quoted_printable();
        let (m, lossy) = m.to_utf8("utf-8");
        assert!(!lossy);
        assert_eq!(text(&m), "Fødselsnr: 15108695088");
        let at = text(&m).find("ø").unwrap();
        assert_eq!(m.source_range(at..at + 2), 1..7);
        let n = text(&m).find("1510").unwrap();
        assert_eq!(m.source_range(n..n + 11), 16..src.len());
    }

    #[test]
    fn base64_and_latin1() {
        // "Time på føde" in ISO 8859-1.
        let m = Mapped::source(b"VGltZSBw5SBm+GRl", 0).base64();
        let (m, _) = m.to_utf8("iso-8859-1");
        assert_eq!(text(&m), "Time på føde");
        assert_eq!(m.source_range(0..4), 0..8);
    }

    #[test]
    fn html_keeps_text_and_positions() {
        let src = "<p>Hei,<br>du har time p&aring; <b>psykiatrisk</b> poliklinikk</p><script>x=1</script>";
        let m = Mapped::source(src.as_bytes(), 0).html_text();
        let t = text(&m);
        assert!(t.contains("du har time på psykiatrisk poliklinikk"), "{t}");
        let at = t.find("psykiatrisk").unwrap();
        let r = m.source_range(at..at + "psykiatrisk".len());
        assert_eq!(&src[r], "psykiatrisk");
        assert!(!t.contains("x=1"));
    }

    #[test]
    fn invalid_utf8_is_replaced_and_said() {
        let (m, lossy) = Mapped::source(b"ok \xff\xfe ok", 0).to_utf8("utf-8");
        assert!(lossy);
        assert_eq!(text(&m), "ok \u{FFFD}\u{FFFD} ok");
        assert_eq!(m.source_range(6..9), 4..5);
        assert_eq!(m.source_range(10..12), 6..8);
    }
}
