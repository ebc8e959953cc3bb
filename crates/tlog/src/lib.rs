//! Transparency-log building blocks, pure and dependency-light:
//!
//! - [`merkle`]: the RFC 9162 Merkle tree hash, inclusion and consistency proofs (generation and
//!   verification);
//! - [`note`]: C2SP signed-note v1 with Ed25519 keys;
//! - [`checkpoint`]: C2SP tlog-checkpoint v1.0.0;
//! - [`tile`]: C2SP tlog-tiles paths and entry bundles.
//!
//! The crate does no I/O, reads no clock and draws no randomness: key material and data come
//! from the caller. No function panics on any input.
//!
//! ```
//! use tlog::merkle::{leaf_hash, Tree, verify_inclusion};
//!
//! let leaves: Vec<_> = [b"a".as_slice(), b"b", b"c"].iter().map(|d| leaf_hash(d)).collect();
//! let tree = Tree::new(leaves.clone());
//! let root = tree.root(3).unwrap();
//! let proof = tree.inclusion_proof(1, 3).unwrap();
//! assert!(verify_inclusion(&leaves[1], 1, 3, &proof, &root).is_ok());
//! ```

pub mod checkpoint;
pub mod merkle;
pub mod note;
pub mod tile;

/// A SHA-256 hash.
pub type Hash = [u8; 32];
