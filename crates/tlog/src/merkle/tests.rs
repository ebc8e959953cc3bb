#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use base64::Engine as _;

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn probe_leaves() -> Vec<Hash> {
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .iter()
        .map(|h| {
            let bytes: Vec<u8> =
                (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect();
            leaf_hash(&bytes)
        })
        .collect()
}

#[test]
fn known_roots_for_the_reference_leaves() {
    let tree = Tree::new(probe_leaves());
    let expected = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    for (size, want) in expected.iter().enumerate() {
        assert_eq!(hex(&tree.root(size as u64).unwrap()), *want, "size {size}");
    }
    assert!(tree.root(9).is_err());
}

/// The naive recursive definition of RFC 9162, for checking the real implementation.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// A small deterministic generator, so property failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

#[test]
fn random_trees_up_to_2000_leaves_prove_and_refuse_every_bit_flip() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let all: Vec<Hash> = (0..2000u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let tree = Tree::new(all.clone());
    for _ in 0..60 {
        let size = 1 + rng.below(2000);
        let root = tree.root(size).unwrap();
        assert_eq!(root, mth(&all[..size as usize]), "root of {size}");
        let index = rng.below(size);
        let proof = tree.inclusion_proof(index, size).unwrap();
        verify_inclusion(&all[index as usize], index, size, &proof, &root).unwrap();
        // Any flipped bit anywhere makes it fail.
        for _ in 0..8 {
            let bit = rng.below(256) as usize;
            assert!(verify_inclusion(&flip(&all[index as usize], bit), index, size, &proof, &root).is_err());
            assert!(verify_inclusion(&all[index as usize], index, size, &proof, &flip(&root, bit)).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = rng.below(bad.len() as u64) as usize;
                bad[at] = flip(&bad[at], bit);
                assert!(verify_inclusion(&all[index as usize], index, size, &bad, &root).is_err());
            }
        }
        let old = 1 + rng.below(size);
        let old_root = tree.root(old).unwrap();
        let proof = tree.consistency_proof(old, size).unwrap();
        verify_consistency(old, size, &proof, &old_root, &root).unwrap();
        for _ in 0..8 {
            let bit = rng.below(256) as usize;
            if old != size {
                assert!(verify_consistency(old, size, &proof, &flip(&old_root, bit), &root).is_err());
                assert!(verify_consistency(old, size, &proof, &old_root, &flip(&root, bit)).is_err());
                let mut bad = proof.clone();
                let at = rng.below(bad.len() as u64) as usize;
                bad[at] = flip(&bad[at], bit);
                assert!(verify_consistency(old, size, &bad, &old_root, &root).is_err());
            }
        }
    }
}

#[test]
fn every_proof_of_small_trees_verifies() {
    let all: Vec<Hash> = (0..40u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    let tree = Tree::new(all.clone());
    for size in 1..=40u64 {
        let root = tree.root(size).unwrap();
        for index in 0..size {
            let proof = tree.inclusion_proof(index, size).unwrap();
            verify_inclusion(&all[index as usize], index, size, &proof, &root).unwrap();
            assert!(
                verify_inclusion(&all[index as usize], index + 1, size, &proof, &root).is_err() || index + 1 == size
            );
        }
        for old in 1..=size {
            let proof = tree.consistency_proof(old, size).unwrap();
            verify_consistency(old, size, &proof, &tree.root(old).unwrap(), &root).unwrap();
        }
    }
    assert_eq!(tree.inclusion_proof(5, 5), Err(ProofError::IndexOutOfRange { index: 5, size: 5 }));
    assert_eq!(tree.consistency_proof(0, 5), Err(ProofError::EmptyOldTree));
    assert_eq!(tree.consistency_proof(6, 5), Err(ProofError::SizesOutOfOrder { old: 6, new: 5 }));
    assert!(verify_inclusion(&all[0], 0, 0, &[], &empty_root()).is_err());
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    leaf_idx: Option<serde_json::Value>,
    #[serde(default)]
    tree_size: Option<serde_json::Value>,
    #[serde(default)]
    root: Option<String>,
    #[serde(default)]
    leaf_hash: Option<String>,
    #[serde(default)]
    size1: Option<serde_json::Value>,
    #[serde(default)]
    size2: Option<serde_json::Value>,
    #[serde(default)]
    root1: Option<String>,
    #[serde(default)]
    root2: Option<String>,
    #[serde(default)]
    proof: Option<Vec<String>>,
    #[serde(default)]
    desc: String,
    want_err: bool,
}

/// A base64 value as bytes.
fn bytes_of(b64: &Option<String>) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(b64.as_deref().unwrap_or("")).ok()
}

fn probes(kind: &str) -> Option<Vec<(String, Probe)>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/merkle").join(kind);
    if !dir.is_dir() {
        return None;
    }
    let mut out = Vec::new();
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), serde_json::from_str(&text).unwrap()));
            }
        }
    }
    Some(out)
}

fn proof_of(p: &Probe) -> Option<Vec<Vec<u8>>> {
    p.proof.as_ref().map_or(Some(Vec::new()), |v| v.iter().map(|h| bytes_of(&Some(h.clone()))).collect())
}

#[test]
fn every_inclusion_probe_of_transparency_dev_agrees() {
    let Some(all) = probes("inclusion") else {
        eprintln!("skipping: ../shared/testdata/merkle is not present");
        return;
    };
    assert!(all.len() > 50);
    let mut failures = Vec::new();
    for (path, p) in all {
        let result = (|| {
            let index = p.leaf_idx.as_ref()?.as_u64()?;
            let size = p.tree_size.as_ref()?.as_u64()?;
            let (leaf, root, proof) = (bytes_of(&p.leaf_hash)?, bytes_of(&p.root)?, proof_of(&p)?);
            let proof: Vec<&[u8]> = proof.iter().map(Vec::as_slice).collect();
            verify_inclusion_raw(&leaf, index, size, &proof, &root).ok()
        })();
        if result.is_none() != p.want_err {
            failures.push(format!("{path}: {}", p.desc));
        }
    }
    assert!(failures.is_empty(), "{} disagree:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_consistency_probe_of_transparency_dev_agrees() {
    let Some(all) = probes("consistency") else {
        eprintln!("skipping: ../shared/testdata/merkle is not present");
        return;
    };
    assert!(all.len() > 50);
    let mut failures = Vec::new();
    for (path, p) in all {
        let result = (|| {
            let size1 = p.size1.as_ref()?.as_u64()?;
            let size2 = p.size2.as_ref()?.as_u64()?;
            let (root1, root2, proof) = (bytes_of(&p.root1)?, bytes_of(&p.root2)?, proof_of(&p)?);
            let proof: Vec<&[u8]> = proof.iter().map(Vec::as_slice).collect();
            verify_consistency_raw(size1, size2, &proof, &root1, &root2).ok()
        })();
        if result.is_none() != p.want_err {
            failures.push(format!("{path}: {}", p.desc));
        }
    }
    assert!(failures.is_empty(), "{} disagree:\n{}", failures.len(), failures.join("\n"));
}
