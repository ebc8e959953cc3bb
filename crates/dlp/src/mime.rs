//! A reader for raw e-mail (RFC 5322 with MIME, RFC 2045–2047 and 2231): the subject, the
//! sender, every text part decoded, and the names of attachments — each with the way back to the
//! bytes of the raw message. Attachment contents are not read. Never panics; a malformed message
//! is read as far as it makes sense.

use crate::text::{find, Mapped};
use crate::Part;

/// How deep multiparts may nest, and how many parts a message may have, before the rest is
/// skipped; no real mail comes near either.
const MAX_DEPTH: usize = 8;
const MAX_PARTS: usize = 500;
/// Longer than any encoded word a mailer writes (RFC 2047 allows 75 characters).
const MAX_ENCODED_WORD: usize = 1024;

/// One piece of the message to scan.
pub(crate) struct Segment {
    pub part: Part,
    pub text: Mapped,
}

/// Whether `bytes` looks like a raw message: it starts with header fields.
pub fn looks_like_message(bytes: &[u8]) -> bool {
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let Some(colon) = first_line.iter().position(|&b| b == b':') else { return false };
    let name = &first_line[..colon];
    !name.is_empty()
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && bytes.windows(2).take(64 * 1024).any(|w| w == b"\n\n" || w == b"\r\n")
        && ["from", "to", "subject", "date", "mime-version", "received", "return-path", "message-id", "content-type"]
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
}

/// The segments of a raw message, and whether any text had to be decoded lossily.
pub(crate) fn read(raw: &[u8]) -> (Vec<Segment>, bool) {
    let mut reader = Reader { raw, segments: Vec::new(), lossy: false, parts: 0 };
    reader.entity(0..raw.len(), 0, true);
    (reader.segments, reader.lossy)
}

struct Reader<'a> {
    raw: &'a [u8],
    segments: Vec<Segment>,
    lossy: bool,
    parts: usize,
}

struct Header {
    name: String,
    value: std::ops::Range<usize>,
}

impl Reader<'_> {
    fn entity(&mut self, range: std::ops::Range<usize>, depth: usize, top: bool) {
        self.parts += 1;
        if depth > MAX_DEPTH || self.parts > MAX_PARTS {
            return;
        }
        let (headers, body) = headers(self.raw, range.clone());
        let get = |name: &str| headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.clone());
        let value = |r: std::ops::Range<usize>| String::from_utf8_lossy(&self.raw[r]).into_owned();
        if top {
            for (name, part) in [("subject", Part::Subject), ("from", Part::Sender)] {
                if let Some(r) = get(name) {
                    let text = self.header_text(Mapped::source(&self.raw[r.clone()], r.start).unfolded());
                    self.segments.push(Segment { part, text });
                }
            }
        }
        let content_type = get("content-type").map(value).unwrap_or_default();
        let (mime, params) = parse_params(&content_type);
        let disposition = get("content-disposition").map(value).unwrap_or_default();
        let (disposition_kind, disposition_params) = parse_params(&disposition);
        let name = disposition_params
            .iter()
            .chain(params.iter())
            .find(|(k, _)| matches!(k.as_str(), "filename" | "filename*" | "name" | "name*"))
            .cloned();
        if let Some((key, _)) = name {
            // Re-find the name's bytes in the header, to report positions in the raw message.
            let header =
                if disposition_params.iter().any(|(k, _)| *k == key) { "content-disposition" } else { "content-type" };
            if let Some(r) = get(header) {
                if let Some(text) = self.param_text(r, &key) {
                    self.segments.push(Segment { part: Part::Attachment, text });
                }
            }
        }
        if mime.starts_with("multipart/") {
            let Some((_, boundary)) = params.iter().find(|(k, _)| k == "boundary") else { return };
            for part in split_multipart(self.raw, body, boundary.as_bytes()) {
                self.entity(part, depth + 1, false);
            }
            return;
        }
        if mime == "message/rfc822" {
            self.entity(body, depth + 1, true);
            return;
        }
        let is_text = mime.is_empty() || mime == "text/plain" || mime == "text/html";
        if !is_text || disposition_kind == "attachment" {
            return;
        }
        let encoding = get("content-transfer-encoding").map(value).unwrap_or_default().trim().to_ascii_lowercase();
        let source = Mapped::source(&self.raw[body.clone()], body.start);
        let decoded = match encoding.as_str() {
            "quoted-printable" => source.quoted_printable(),
            "base64" => source.base64(),
            _ => source,
        };
        let charset = params.iter().find(|(k, _)| k == "charset").map(|(_, v)| v.as_str()).unwrap_or("utf-8");
        let (text, lossy) = decoded.to_utf8(charset);
        self.lossy |= lossy;
        let text = if mime == "text/html" { text.html_text() } else { text };
        self.segments.push(Segment { part: Part::Body, text });
    }

    /// A header value with its RFC 2047 encoded words decoded.
    fn header_text(&mut self, value: Mapped) -> Mapped {
        let b = value.bytes.clone();
        let mut out = Mapped::default();
        let mut i = 0;
        let mut plain_from = 0;
        while let Some(start) = find(&b, i, b"=?") {
            let Some((end, decoded)) = self.encoded_word(&value, start) else {
                i = start + 2;
                continue;
            };
            out.append(value.slice(plain_from..start));
            out.append(decoded);
            plain_from = end;
            i = end;
        }
        out.append(value.slice(plain_from..b.len()));
        out
    }

    /// The encoded word `=?charset?Q|B?text?=` starting at `start`: where it ends, and its text.
    fn encoded_word(&mut self, value: &Mapped, start: usize) -> Option<(usize, Mapped)> {
        // An encoded word is at most 75 characters (RFC 2047); looking further would make a
        // header full of "=?" quadratic.
        let b = &value.bytes[..value.len().min(start + MAX_ENCODED_WORD)];
        let q1 = find(b, start + 2, b"?")?;
        let encoding = *b.get(q1 + 1)?;
        if b.get(q1 + 2) != Some(&b'?') {
            return None;
        }
        let end = find(b, q1 + 3, b"?=")?;
        let charset = String::from_utf8_lossy(&b[start + 2..q1]).into_owned();
        let charset = charset.split('*').next().unwrap_or_default().to_string();
        let inner = value.slice(q1 + 3..end);
        let bytes = match encoding.to_ascii_uppercase() {
            b'Q' => inner.hex_escapes(b'=', true),
            b'B' => inner.base64(),
            _ => return None,
        };
        let (text, lossy) = bytes.to_utf8(&charset);
        self.lossy |= lossy;
        Some((end + 2, text))
    }

    /// The value of parameter `key` in the header at `range`, decoded.
    fn param_text(&mut self, range: std::ops::Range<usize>, key: &str) -> Option<Mapped> {
        let value = Mapped::source(&self.raw[range.clone()], range.start).unfolded();
        let lower: Vec<u8> = value.bytes.iter().map(u8::to_ascii_lowercase).collect();
        let mut from = 0;
        let at = loop {
            let at = find(&lower, from, key.as_bytes())?;
            let before_ok = at == 0 || matches!(lower[at - 1], b';' | b' ' | b'\t');
            if before_ok && lower.get(at + key.len()) == Some(&b'=') {
                break at + key.len() + 1;
            }
            from = at + 1;
        };
        let (start, end) = if value.bytes.get(at) == Some(&b'"') {
            (at + 1, find(&value.bytes, at + 1, b"\"").unwrap_or(value.len()))
        } else {
            (at, value.bytes[at..].iter().position(|&c| c == b';').map_or(value.len(), |p| at + p))
        };
        let raw = value.slice(start..end);
        if key.ends_with('*') {
            // RFC 2231: charset'language'percent-encoded.
            let quote = raw.bytes.iter().position(|&c| c == b'\'')?;
            let charset = String::from_utf8_lossy(&raw.bytes[..quote]).into_owned();
            let second = raw.bytes[quote + 1..].iter().position(|&c| c == b'\'').map_or(quote, |p| quote + 1 + p);
            let (text, lossy) = raw.slice(second + 1..raw.len()).hex_escapes(b'%', false).to_utf8(&charset);
            self.lossy |= lossy;
            return Some(text);
        }
        Some(self.header_text(raw))
    }
}

/// The header fields of the entity at `range`, and where its body starts.
fn headers(raw: &[u8], range: std::ops::Range<usize>) -> (Vec<Header>, std::ops::Range<usize>) {
    let mut fields: Vec<Header> = Vec::new();
    let mut i = range.start;
    while i < range.end {
        let line_end = raw[i..range.end].iter().position(|&b| b == b'\n').map_or(range.end, |p| i + p + 1);
        let line = &raw[i..line_end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            return (fields, line_end..range.end);
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some(last) = fields.last_mut() {
                last.value.end = i + content.len();
            }
        } else if let Some(colon) = content.iter().position(|&b| b == b':') {
            let name = String::from_utf8_lossy(&content[..colon]).trim().to_string();
            fields.push(Header { name, value: i + colon + 1..i + content.len() });
        } else if fields.is_empty() {
            // Not a header block at all: the whole entity is body.
            return (fields, range);
        }
        i = line_end;
    }
    (fields, range.end..range.end)
}

/// The media type (lower case) and parameters (names lower case, values unquoted) of a header
/// value such as `text/plain; charset="utf-8"`.
fn parse_params(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            '\r' | '\n' => {}
            _ => current.push(c),
        }
    }
    pieces.push(current);
    let mut pieces = pieces.into_iter();
    let kind = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    (kind, params)
}

/// The parts of a multipart body: the ranges between `--boundary` lines.
fn split_multipart(raw: &[u8], body: std::ops::Range<usize>, boundary: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary);
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = body.start;
    while i < body.end {
        let line_end = raw[i..body.end].iter().position(|&b| b == b'\n').map_or(body.end, |p| i + p + 1);
        let line = &raw[i..line_end];
        if line.starts_with(&delimiter) {
            if let Some(s) = start {
                // The line break before the delimiter belongs to the delimiter.
                let mut end = i;
                if end > s && raw[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > s && raw[end - 1] == b'\r' {
                    end -= 1;
                }
                parts.push(s..end);
            }
            if line[delimiter.len()..].starts_with(b"--") {
                return parts;
            }
            start = Some(line_end);
        }
        i = line_end;
    }
    if let Some(s) = start {
        parts.push(s..body.end);
    }
    parts
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(raw: &[u8]) -> Vec<(Part, String)> {
        read(raw).0.into_iter().map(|s| (s.part, String::from_utf8(s.text.bytes).unwrap())).collect()
    }

    #[test]
    fn a_multipart_message_with_encodings_and_an_attachment() {
        let raw = concat!(
            "From: =?utf-8?Q?Psykiatrisk_poliklinikk?= <pol@example.no>\r\n",
            "To: pasient@example.no\r\n",
            "Subject: =?iso-8859-1?Q?Time_p=E5_mandag?=\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n",
            "\r\n",
            "preamble\r\n",
            "--XYZ\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "\r\n",
            "F=C3=B8dselsnummer 15108695088\r\n",
            "--XYZ\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "PHA+SGVpICZhcmluZzs8L3A+\r\n",
            "--XYZ\r\n",
            "Content-Type: application/pdf\r\n",
            "Content-Disposition: attachment; filename*=utf-8''epikrise%20kreft.pdf\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "JVBERi0=\r\n",
            "--XYZ--\r\n",
        );
        let got = texts(raw.as_bytes());
        assert_eq!(got[0], (Part::Subject, " Time på mandag".into()));
        assert_eq!(got[1].0, Part::Sender);
        assert!(got[1].1.starts_with(" Psykiatrisk poliklinikk"), "{}", got[1].1);
        assert_eq!(got[2], (Part::Body, "Fødselsnummer 15108695088".into()));
        assert_eq!(got[3].1.trim(), "Hei å");
        assert_eq!(got[4], (Part::Attachment, "epikrise kreft.pdf".into()));
        // Positions lead back into the raw message.
        let (segments, _) = read(raw.as_bytes());
        let body = &segments[2].text;
        let at = String::from_utf8(body.bytes.clone()).unwrap().find("1510").unwrap();
        let r = body.source_range(at..at + 11);
        assert_eq!(&raw[r], "15108695088");
    }

    #[test]
    fn malformed_messages_do_not_panic() {
        for raw in [
            &b"Subject: =?utf-8?B?\r\n"[..],
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
            b"From:\n\n",
            b"",
        ] {
            let _ = read(raw);
        }
        assert!(looks_like_message(b"Subject: hei\n\nbody"));
        assert!(!looks_like_message(b"Hei: dette er en SMS"));
    }
}
