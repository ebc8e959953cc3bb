//! C2SP signed-note v1 with Ed25519 keys: signing, verifying, key IDs and key strings.
//!
//! A note is UTF-8 text ending in a newline, a blank line, and one or more signature lines
//! `— <name> <base64(key ID ‖ signature)>`. Verification ignores signatures by unknown keys and
//! rejects the whole note when a known key's signature is bad.
//!
//! ```
//! use tlog::note::{Signer, open, sign};
//!
//! let signer = Signer::new("log.example", [7u8; 32]).unwrap();
//! let note = sign("hello\n", &[&signer]).unwrap();
//! let opened = open(note.as_bytes(), &[signer.verifier()]).unwrap();
//! assert_eq!(opened.text, "hello\n");
//! ```

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// The algorithm byte of Ed25519 keys in key IDs and key strings.
const ALG_ED25519: u8 = 0x01;
/// Notes with more signature lines than this are refused, to bound the work of opening one.
pub const MAX_SIGNATURES: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("invalid key name: it must be non-empty and contain no spaces or '+'")]
    BadName,
    #[error("malformed key string")]
    BadKey,
    #[error("the text must be UTF-8, end with a newline and contain no control characters but newlines")]
    BadText,
    #[error("malformed note")]
    Malformed,
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("the signature of known key {0} is invalid")]
    InvalidSignature(String),
    #[error("the note has no signature from a known key")]
    NoKnownSignature,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// The key ID: the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), big-endian.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Splits "a+b+c" key strings, checking the name and the hex key ID.
fn key_parts(s: &str) -> Result<(String, u32, Vec<u8>), NoteError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::BadKey);
    };
    if !valid_name(name) || id.len() != 8 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(NoteError::BadKey);
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| NoteError::BadKey)?;
    let key = B64.decode(key).map_err(|_| NoteError::BadKey)?;
    if key.len() != 33 || key[0] != ALG_ED25519 {
        return Err(NoteError::BadKey);
    }
    Ok((name.to_string(), id, key[1..].to_vec()))
}

/// A key that checks signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    pub key_id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses a verifier key string `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
    pub fn from_key_string(s: &str) -> Result<Verifier, NoteError> {
        let (name, id, key) = key_parts(s.trim())?;
        let bytes: [u8; 32] = key.try_into().map_err(|_| NoteError::BadKey)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| NoteError::BadKey)?;
        if key_id(&name, &bytes) != id {
            return Err(NoteError::BadKey);
        }
        Ok(Verifier { name, key_id: id, key })
    }

    pub fn key_string(&self) -> String {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(k))
    }

    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| self.key.verify(text, &s).is_ok())
    }
}

/// A key that signs notes.
#[derive(Debug, Clone)]
pub struct Signer {
    pub name: String,
    pub key_id: u32,
    key: SigningKey,
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed, which the caller draws from a secure source.
    pub fn new(name: &str, seed: [u8; 32]) -> Result<Signer, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadName);
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(Signer { key_id: key_id(name, key.verifying_key().as_bytes()), name: name.to_string(), key })
    }

    /// Parses a signer key string `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`.
    pub fn from_key_string(s: &str) -> Result<Signer, NoteError> {
        let rest = s.trim().strip_prefix("PRIVATE+KEY+").ok_or(NoteError::BadKey)?;
        let (name, id, seed) = key_parts(rest)?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| NoteError::BadKey)?;
        let signer = Signer::new(&name, seed)?;
        if signer.key_id != id {
            return Err(NoteError::BadKey);
        }
        Ok(signer)
    }

    /// The secret key string; keep it like a password.
    pub fn key_string(&self) -> String {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.key_id, B64.encode(k))
    }

    pub fn verifier(&self) -> Verifier {
        Verifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }

    /// The signature line for `text`, without its trailing newline.
    pub fn signature_line(&self, text: &str) -> String {
        let mut sig = self.key_id.to_be_bytes().to_vec();
        sig.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        format!("— {} {}", self.name, B64.encode(sig))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    let ok = text.ends_with('\n') && !text.chars().any(|c| c.is_control() && c != '\n');
    if ok {
        Ok(())
    } else {
        Err(NoteError::BadText)
    }
}

/// Signs `text` with every signer: the text, a blank line, one signature line each.
pub fn sign(text: &str, signers: &[&Signer]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    if signers.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures);
    }
    let mut note = format!("{text}\n");
    for s in signers {
        note.push_str(&s.signature_line(text));
        note.push('\n');
    }
    Ok(note)
}

/// A note whose signatures were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub text: String,
    /// Names and key IDs of the known keys that signed it.
    pub verified_by: Vec<(String, u32)>,
    /// Signature lines by keys not among the verifiers.
    pub unknown_signatures: usize,
}

/// Opens a signed note: checks its form, ignores signatures by unknown keys, and requires at
/// least one valid signature by a known key. A bad signature by a known key rejects the note.
pub fn open(note: &[u8], verifiers: &[Verifier]) -> Result<Opened, NoteError> {
    let note = std::str::from_utf8(note).map_err(|_| NoteError::Malformed)?;
    let split = note.rfind("\n\n").ok_or(NoteError::Malformed)?;
    let (text, block) = (&note[..split + 1], &note[split + 2..]);
    check_text(text)?;
    if !block.ends_with('\n') {
        return Err(NoteError::Malformed);
    }
    let lines: Vec<&str> = block[..block.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures);
    }
    let mut verified_by = Vec::new();
    let mut unknown_signatures = 0;
    for line in lines {
        let rest = line.strip_prefix("— ").ok_or(NoteError::Malformed)?;
        let (name, sig) = rest.rsplit_once(' ').ok_or(NoteError::Malformed)?;
        if !valid_name(name) {
            return Err(NoteError::Malformed);
        }
        let sig = B64.decode(sig).map_err(|_| NoteError::Malformed)?;
        if sig.len() < 5 {
            return Err(NoteError::Malformed);
        }
        let id = u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]);
        match verifiers.iter().find(|v| v.name == name && v.key_id == id) {
            Some(v) if v.verify(text.as_bytes(), &sig[4..]) => {
                if !verified_by.contains(&(v.name.clone(), v.key_id)) {
                    verified_by.push((v.name.clone(), v.key_id));
                }
            }
            Some(v) => return Err(NoteError::InvalidSignature(v.name.clone())),
            None => unknown_signatures += 1,
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    Ok(Opened { text: text.to_string(), verified_by, unknown_signatures })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_c2sp_vectors_byte_for_byte() {
        let v =
            Verifier::from_key_string("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").unwrap();
        assert_eq!(v.key_string(), "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        let note = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        let opened = open(note.as_bytes(), std::slice::from_ref(&v)).unwrap();
        assert_eq!(opened.text, "This is an example message.\n");

        let signer =
            Signer::from_key_string("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
                .unwrap();
        assert_eq!(
            signer.verifier().key_string(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        assert_eq!(
            signer.key_string(),
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        );
        let text =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let signed = sign(text, &[&signer]).unwrap();
        assert_eq!(
            signed,
            format!("{text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
        );
        assert!(open(signed.as_bytes(), &[signer.verifier(), v]).is_ok());
    }

    #[test]
    fn unknown_keys_are_ignored_and_bad_known_signatures_reject() {
        let signers: Vec<Signer> =
            (0..16u8).map(|i| Signer::new(&format!("witness{i}.example"), [i; 32]).unwrap()).collect();
        let refs: Vec<&Signer> = signers.iter().collect();
        let note = sign("origin\n5\nAAAA\n", &refs).unwrap();
        let opened = open(note.as_bytes(), &[signers[3].verifier(), signers[15].verifier()]).unwrap();
        assert_eq!(opened.verified_by.len(), 2);
        assert_eq!(opened.unknown_signatures, 14, "sixteen signatures, unknown ones ignored");
        let stranger = Signer::new("stranger", [99; 32]).unwrap();
        assert_eq!(open(note.as_bytes(), &[stranger.verifier()]), Err(NoteError::NoKnownSignature));

        // Flip one character of a signature by a known key: the note is rejected.
        let line_start = note.find("— witness3.example ").unwrap();
        let mut bytes = note.into_bytes();
        let at = line_start + "— witness3.example ".len() + 10;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&bytes, &[signers[3].verifier()]), Err(NoteError::InvalidSignature("witness3.example".into())));
        // The same flip is ignored when that key is unknown, as long as another known key signed.
        assert!(open(&bytes, &[signers[4].verifier()]).is_ok());
    }

    #[test]
    fn malformed_notes_and_keys_are_refused() {
        let s = Signer::new("log", [1; 32]).unwrap();
        let good = sign("a\n", &[&s]).unwrap();
        let v = [s.verifier()];
        for bad in [
            "a\n",
            "a\n\n",
            "a\n\n— log\n",
            "a\n\n- log AAAA\n",
            "a\n\n— log !!!!\n",
            "a\n\n— log AAAA",
            "a\x01\n\n— log AAAAAAAA\n",
        ] {
            assert!(open(bad.as_bytes(), &v).is_err(), "{bad:?}");
        }
        assert!(open(&[0xff, 0xfe], &v).is_err());
        assert!(open(good.as_bytes(), &v).is_ok());
        assert_eq!(sign("no newline", &[&s]), Err(NoteError::BadText));
        assert_eq!(Signer::new("bad name", [0; 32]).err(), Some(NoteError::BadName));
        assert_eq!(Signer::new("bad+name", [0; 32]).err(), Some(NoteError::BadName));
        for key in ["", "a+b", "log+zzzzzzzz+AAAA", "log+00000000+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"] {
            assert!(Verifier::from_key_string(key).is_err(), "{key}");
        }
        let many: Vec<Signer> = (0..101u8).map(|i| Signer::new(&format!("k{i}"), [i; 32]).unwrap()).collect();
        let refs: Vec<&Signer> = many.iter().collect();
        assert_eq!(sign("a\n", &refs), Err(NoteError::TooManySignatures));
    }
}
