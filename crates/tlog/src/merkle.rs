//! The Merkle tree of RFC 9162 (Certificate Transparency v2), section 2.1.

use crate::Hash;
use sha2::{Digest, Sha256};

/// Why a proof was refused or could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("size {size} is larger than the tree ({available} leaves)")]
    SizeOutOfRange { size: u64, available: u64 },
    #[error("the old size {old} is larger than the new size {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("a consistency proof needs an old size above zero")]
    EmptyOldTree,
    #[error("the proof has the wrong length")]
    WrongLength,
    #[error("the proof does not lead to the given root")]
    RootMismatch,
    #[error("a hash in the proof is not 32 bytes")]
    BadHashLength,
}

/// The hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    leaf_hash_of_parts(&[data])
}

/// The hash of a leaf whose data comes in parts: the same as [`leaf_hash`] of the parts joined,
/// without copying them together.
///
/// ```
/// use tlog::merkle::{leaf_hash, leaf_hash_of_parts};
/// assert_eq!(leaf_hash_of_parts(&[b"salt", b"{}"]), leaf_hash(b"salt{}"));
/// ```
pub fn leaf_hash_of_parts(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// MTH of a list of node hashes, iteratively: the nodes of each level are combined pairwise, an
/// odd last node moving up unchanged (RFC 9162's split is equivalent). The empty list gives the
/// empty root.
pub fn mth(hashes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => node_hash(l, r),
                [single] => *single,
                _ => empty_root(),
            })
            .collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    let mut k = 1u64;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// A tree over leaf hashes held in memory. Every function takes the tree size to work on, so
/// proofs can be made for any earlier state of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    leaves: Vec<Hash>,
}

impl Tree {
    pub fn new(leaves: Vec<Hash>) -> Tree {
        Tree { leaves }
    }

    pub fn push(&mut self, leaf: Hash) {
        self.leaves.push(leaf);
    }

    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.len() {
            return Err(ProofError::SizeOutOfRange { size, available: self.len() });
        }
        Ok(())
    }

    fn range_hash(&self, start: u64, end: u64) -> Hash {
        mth(&self.leaves[start as usize..end as usize])
    }

    /// The Merkle tree hash of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        Ok(if size == 0 { empty_root() } else { self.range_hash(0, size) })
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        Ok(inclusion_ranges(index, size)?.into_iter().map(|(a, b)| self.range_hash(a, b)).collect())
    }

    /// The consistency proof between the trees of `old` and `new` leaves (RFC 9162 2.1.4.1).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        Ok(consistency_ranges(old, new)?.into_iter().map(|(a, b)| self.range_hash(a, b)).collect())
    }
}

/// The leaf ranges `[start, end)` whose tree hashes make up the audit path of leaf `index` in
/// the tree of `size` leaves, in proof order. Lets a store that keeps hashes elsewhere (tiles)
/// build proofs without the whole tree: see [`subtrees`].
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<(u64, u64)>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut ranges = Vec::new();
    path(index, 0, size, &mut ranges);
    Ok(ranges)
}

fn path(m: u64, start: u64, end: u64, ranges: &mut Vec<(u64, u64)>) {
    let n = end - start;
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, start, start + k, ranges);
        ranges.push((start + k, end));
    } else {
        path(m - k, start + k, end, ranges);
        ranges.push((start, start + k));
    }
}

/// The leaf ranges whose tree hashes make up the consistency proof between the trees of `old`
/// and `new` leaves, in proof order.
pub fn consistency_ranges(old: u64, new: u64) -> Result<Vec<(u64, u64)>, ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    let mut ranges = Vec::new();
    if old < new {
        subproof(old, 0, new, true, &mut ranges);
    }
    Ok(ranges)
}

fn subproof(m: u64, start: u64, end: u64, complete: bool, ranges: &mut Vec<(u64, u64)>) {
    let n = end - start;
    if m == n {
        if !complete {
            ranges.push((start, end));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, start, start + k, complete, ranges);
        ranges.push((start + k, end));
    } else {
        subproof(m - k, start + k, end, false, ranges);
        ranges.push((start, start + k));
    }
}

/// The complete subtrees that make up the range `[start, end)`, left to right, as
/// (height, index): subtree (h, k) holds leaves `k·2^h .. (k+1)·2^h`. The range's tree hash is
/// theirs folded from the right: `H(s1, H(s2, … sn))` ([`fold_subtrees`]). `start` must be a
/// multiple of the largest power of two not above `end - start`, as it is for every range of a
/// proof and for `[0, size)`; other ranges give an empty list.
pub fn subtrees(start: u64, end: u64) -> Vec<(u8, u64)> {
    let mut out = Vec::new();
    if end <= start {
        return out;
    }
    let n = end - start;
    let top = 63 - n.leading_zeros();
    if !start.is_multiple_of(1u64 << top) {
        return out;
    }
    let mut pos = start;
    for h in (0..=top).rev() {
        if n & (1u64 << h) != 0 {
            out.push((h as u8, pos >> h));
            pos += 1u64 << h;
        }
    }
    out
}

/// The tree hash of consecutive complete subtrees given left to right: the last, folded into
/// each before it from the right. `None` for none.
pub fn fold_subtrees(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with root `root`
/// (RFC 9162 2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1`
/// leaves with root `root1` (RFC 9162 2.1.4.2). A first tree of size 0 is refused, and equal
/// sizes need an empty proof and equal roots.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if size1 == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if size1 > size2 {
        return Err(ProofError::SizesOutOfOrder { old: size1, new: size2 });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let Some((first, rest)) = proof.split_first() else { return Err(ProofError::WrongLength) };
    // When size1 is a power of two, the old root is the start of the path.
    let (start, rest): (Hash, &[Hash]) = if size1.is_power_of_two() { (*root1, proof) } else { (*first, rest) };
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (start, start);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != root1 || &sr != root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

fn hashes(proof: &[&[u8]]) -> Result<Vec<Hash>, ProofError> {
    proof.iter().map(|h| Hash::try_from(*h).map_err(|_| ProofError::BadHashLength)).collect()
}

/// [`verify_inclusion`] for hashes as they arrive over the wire (decoded base64 of any
/// length): every proof hash must be 32 bytes; a leaf or root of another length cannot match.
pub fn verify_inclusion_raw(
    leaf: &[u8],
    index: u64,
    size: u64,
    proof: &[&[u8]],
    root: &[u8],
) -> Result<(), ProofError> {
    let proof = hashes(proof)?;
    let leaf = Hash::try_from(leaf).map_err(|_| ProofError::RootMismatch)?;
    let root = Hash::try_from(root).map_err(|_| ProofError::RootMismatch)?;
    verify_inclusion(&leaf, index, size, &proof, &root)
}

/// [`verify_consistency`] for hashes as they arrive over the wire. Equal sizes compare the
/// roots as given; otherwise every hash must be 32 bytes.
pub fn verify_consistency_raw(
    size1: u64,
    size2: u64,
    proof: &[&[u8]],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 != 0 && size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let proof = hashes(proof)?;
    let root1 = Hash::try_from(root1).map_err(|_| ProofError::RootMismatch)?;
    let root2 = Hash::try_from(root2).map_err(|_| ProofError::RootMismatch)?;
    verify_consistency(size1, size2, &proof, &root1, &root2)
}

#[cfg(test)]
mod tests;
