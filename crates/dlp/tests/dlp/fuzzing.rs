//! The fuzzer shared by `tests/dlp/no_panic.rs` (a short run in CI) and `examples/fuzz.rs` (long
//! runs): inputs from random bytes and from mutated corpus messages, fed to the scanner (every
//! kind of input), the MIME reader and the fnr parser, with the invariants every answer keeps.

use dlp::{Input, Part, Scanner, Severity, Verdict};
use rand::rngs::StdRng;
use rand::Rng;

/// Pieces that steer the mutations into the parsers' corners.
const TOKENS: &[&str] = &[
    "=?utf-8?Q?",
    "=?iso-8859-1?B?",
    "?=",
    "=C3=B8",
    "=\r\n",
    "--XYZ",
    "--XYZ--",
    "\r\n\r\n",
    "Content-Type: multipart/mixed; boundary=XYZ\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "filename*=utf-8''%C3%B8",
    "<p>",
    "</b>",
    "<script>",
    "&aring;",
    "&#x1F600;",
    "&#99999999;",
    "&",
    "15108695088",
    "151086 95088",
    "F32.1",
    "dg ",
    "psykiatrisk",
    "kreft",
    "ø",
    "Å",
    "\u{FFFD}",
    "\u{200B}",
    "mg",
    " 5 mg",
    "+47 ",
    "22 11 22 11",
    "kl. 10.30",
    "3. mars",
    "*",
];

pub fn input(rng: &mut StdRng, corpus: &[String]) -> Vec<u8> {
    let mut bytes: Vec<u8> = if rng.gen_bool(0.2) || corpus.is_empty() {
        (0..rng.gen_range(0..512)).map(|_| rng.gen()).collect()
    } else {
        corpus[rng.gen_range(0..corpus.len())].as_bytes().to_vec()
    };
    for _ in 0..rng.gen_range(0..8) {
        let at = if bytes.is_empty() { 0 } else { rng.gen_range(0..=bytes.len()) };
        match rng.gen_range(0..5) {
            0 if !bytes.is_empty() => {
                let i = rng.gen_range(0..bytes.len());
                bytes[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                bytes.splice(at..at, t.bytes());
            }
            2 if !bytes.is_empty() => {
                let end = rng.gen_range(at..=bytes.len());
                bytes.drain(at..end);
            }
            3 if !corpus.is_empty() => {
                let other = corpus[rng.gen_range(0..corpus.len())].as_bytes();
                let from = rng.gen_range(0..=other.len());
                bytes.splice(at..at, other[from..].iter().copied());
            }
            _ => bytes.insert(at, rng.gen()),
        }
    }
    bytes
}

/// Scans `bytes` every way and checks the invariants; panics (to be caught) when one breaks.
pub fn check(scanner: &Scanner, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let half = text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i);
    let (subject, body) = text.split_at(half);
    let inputs = [
        Input::sms(&text),
        Input::Sms { text: body, sender: Some(subject) },
        Input::Email { subject, body, html: false, sender: None },
        Input::Email { subject, body, html: true, sender: Some(subject) },
        Input::RawEmail(bytes),
        Input::Bytes(bytes),
    ];
    for input in &inputs {
        let report = scanner.scan(input).expect("small inputs are scanned");
        let worst = report.findings.iter().map(|f| f.severity).max();
        let verdict = match worst {
            None => Verdict::Clean,
            Some(Severity::Warn) => Verdict::Warn,
            Some(Severity::Block) => Verdict::Block,
        };
        assert_eq!(report.verdict, verdict);
        for f in &report.findings {
            assert!(f.start <= f.end, "{f:?}");
            let source: &[u8] = match (input, f.part) {
                (Input::Sms { sender: Some(s), .. } | Input::Email { sender: Some(s), .. }, Part::Sender) => {
                    s.as_bytes()
                }
                (Input::Sms { text, .. }, _) => text.as_bytes(),
                (Input::Email { subject, .. }, Part::Subject) => subject.as_bytes(),
                (Input::Email { body, .. }, _) => body.as_bytes(),
                (Input::RawEmail(b) | Input::Bytes(b), _) => b,
            };
            assert!(f.end <= source.len(), "{f:?} beyond {} bytes", source.len());
            if let Input::Sms { .. } | Input::Email { .. } = input {
                let s = std::str::from_utf8(source).expect("text");
                assert!(s.is_char_boundary(f.start) && s.is_char_boundary(f.end), "{f:?}");
            }
        }
    }
    if let Ok(n) = fnr::parse(&text, fnr::Mode::Both) {
        assert_eq!(n.digits.len(), 11);
    }
    let _ = fnr::check_org_number(&text);
    let _ = fnr::check_account_number(&text);
}
