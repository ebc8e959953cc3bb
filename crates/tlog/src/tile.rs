//! C2SP tlog-tiles: tile and entry-bundle paths, tile contents and entry bundles.
//!
//! ```
//! use tlog::tile::{tile_path, parse_tile_path};
//!
//! assert_eq!(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");
//! assert_eq!(tile_path(1, 5, 17), "tile/1/005.p/17");
//! assert_eq!(parse_tile_path("tile/1/005.p/17"), Ok((1, 5, 17)));
//! ```

use crate::merkle::{empty_root, fold_subtrees, mth, subtrees};
use crate::Hash;
use std::collections::BTreeMap;

/// Hashes per full tile.
pub const TILE_WIDTH: u16 = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("malformed tile path")]
    BadPath,
    #[error("an entry is longer than 65,535 bytes")]
    EntryTooLong,
    #[error("a bundle holds at most 256 entries")]
    TooManyEntries,
    #[error("malformed entry bundle")]
    BadBundle,
    #[error("a tile holds 1 to 256 whole hashes")]
    BadTile,
    #[error("tile {level}/{index} is missing or too narrow")]
    MissingTile { level: u8, index: u64 },
    #[error("the edge does not fit a tree of {size} leaves")]
    BadEdge { size: u64 },
}

/// Tiles by (level, index): whatever a store fetched, full or partial.
pub type Tiles = BTreeMap<(u8, u64), Vec<Hash>>;

/// Where the hash of complete subtree (height, index) is found: the tile (level, index) and
/// the run of its hashes (offset, count) whose tree hash it is.
fn locate(height: u8, index: u64) -> (u8, u64, usize, usize) {
    let level = height / 8;
    let rise = u32::from(height % 8);
    let first = index << rise;
    (level, first >> 8, (first & 0xff) as usize, 1usize << rise)
}

/// The width of tile (level, index) in the tree of `size` leaves: 256, or less for the partial
/// tile at the right edge, or 0 when the tree does not reach it.
pub fn tile_width(level: u8, index: u64, size: u64) -> u16 {
    let entries = size.checked_shr(8 * u32::from(level)).unwrap_or(0);
    let before = index.saturating_mul(256);
    entries.saturating_sub(before).min(256) as u16
}

/// The tiles, as (level, index, width), that hold the hashes of the given leaf ranges of the
/// tree of `size` leaves (ranges as from [`crate::merkle::inclusion_ranges`]).
pub fn tiles_for(ranges: &[(u64, u64)], size: u64) -> Vec<(u8, u64, u16)> {
    let mut out: Vec<(u8, u64, u16)> = ranges
        .iter()
        .flat_map(|&(a, b)| subtrees(a, b))
        .map(|(h, k)| {
            let (level, index, _, _) = locate(h, k);
            (level, index, tile_width(level, index, size))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The tree hash of a leaf range from tiles.
pub fn range_hash(tiles: &Tiles, start: u64, end: u64) -> Result<Hash, TileError> {
    let hashes = subtrees(start, end)
        .into_iter()
        .map(|(h, k)| {
            let (level, index, offset, count) = locate(h, k);
            tiles
                .get(&(level, index))
                .and_then(|t| t.get(offset..offset + count))
                .map(mth)
                .ok_or(TileError::MissingTile { level, index })
        })
        .collect::<Result<Vec<Hash>, TileError>>()?;
    fold_subtrees(&hashes).ok_or(TileError::MissingTile { level: 0, index: start >> 8 })
}

/// A proof from tiles: the tree hash of each range, in order.
pub fn proof(tiles: &Tiles, ranges: &[(u64, u64)]) -> Result<Vec<Hash>, TileError> {
    ranges.iter().map(|&(a, b)| range_hash(tiles, a, b)).collect()
}

/// A tile that has just become full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullTile {
    pub level: u8,
    pub index: u64,
    pub hashes: Vec<Hash>,
}

/// The right edge of a tiled tree: the partial tile of each level. Leaves pushed in turn yield
/// the tiles they complete; the root is computed from the edge alone. This is what a log's
/// integrator keeps between batches.
///
/// ```
/// use tlog::merkle::{leaf_hash, Tree};
/// use tlog::tile::Frontier;
///
/// let leaves: Vec<_> = (0..1000u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
/// let mut frontier = Frontier::default();
/// let mut full = Vec::new();
/// for leaf in &leaves {
///     frontier.push(*leaf, &mut full);
/// }
/// assert_eq!(full.len(), 3); // three full tiles of 256 leaves at level 0
/// assert_eq!(frontier.root(), Tree::new(leaves).root(1000).unwrap());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    levels: Vec<Vec<Hash>>,
}

impl Frontier {
    /// Resumes at a tree of `size` leaves from its partial tiles, lowest level first. Each must
    /// hold `(size >> 8·level) mod 256` hashes.
    pub fn resume(size: u64, mut levels: Vec<Vec<Hash>>) -> Result<Frontier, TileError> {
        while levels.last().is_some_and(Vec::is_empty) {
            levels.pop();
        }
        let shifted = |l: usize| size.checked_shr(8 * l as u32).unwrap_or(0);
        let fits = levels.iter().enumerate().all(|(l, tile)| tile.len() as u64 == shifted(l) & 0xff)
            && shifted(levels.len()) == 0;
        if !fits {
            return Err(TileError::BadEdge { size });
        }
        Ok(Frontier { size, levels })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The partial tile of each level, lowest first (some may be empty).
    pub fn edge(&self) -> &[Vec<Hash>] {
        &self.levels
    }

    /// Appends a leaf hash; tiles it completes are added to `full`, lowest level first.
    pub fn push(&mut self, leaf: Hash, full: &mut Vec<FullTile>) {
        self.size += 1;
        let mut carry = leaf;
        let mut level = 0usize;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::with_capacity(256));
            }
            self.levels[level].push(carry);
            if self.levels[level].len() < 256 {
                return;
            }
            let hashes = std::mem::take(&mut self.levels[level]);
            carry = mth(&hashes);
            let index = (self.size >> (8 * (level as u32 + 1))) - 1;
            full.push(FullTile { level: level as u8, index, hashes });
            level += 1;
        }
    }

    /// The tree hash of all leaves pushed.
    pub fn root(&self) -> Hash {
        let mut nodes = Vec::new();
        for entries in self.levels.iter().rev() {
            for (h, k) in subtrees(0, entries.len() as u64) {
                let from = (k << h) as usize;
                nodes.push(mth(&entries[from..from + (1usize << h)]));
            }
        }
        fold_subtrees(&nodes).unwrap_or_else(empty_root)
    }
}

/// The index as path elements: zero-padded groups of three digits, all but the last with "x".
fn encode_index(n: u64) -> String {
    let digits = n.to_string();
    let padded = format!("{}{digits}", "0".repeat((3 - digits.len() % 3) % 3));
    let groups: Vec<&str> = (0..padded.len()).step_by(3).map(|i| &padded[i..i + 3]).collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| if i < last { format!("x{g}") } else { g.to_string() })
        .collect::<Vec<_>>()
        .join("/")
}

fn with_width(path: String, width: u16) -> String {
    if width >= TILE_WIDTH {
        path
    } else {
        format!("{path}.p/{width}")
    }
}

/// The path of tile `index` at `level`; `width` below 256 names a partial tile.
pub fn tile_path(level: u8, index: u64, width: u16) -> String {
    with_width(format!("tile/{level}/{}", encode_index(index)), width)
}

/// The path of entry bundle `index`; `width` below 256 names a partial bundle.
pub fn entries_path(index: u64, width: u16) -> String {
    with_width(format!("tile/entries/{}", encode_index(index)), width)
}

fn parse_index_and_width(elements: &[&str]) -> Result<(u64, u16), TileError> {
    let (last, rest) = elements.split_last().ok_or(TileError::BadPath)?;
    let (last, width) = match last.split_once(".p") {
        Some((l, "")) => (l, None),
        Some(_) => return Err(TileError::BadPath),
        None => (*last, Some(TILE_WIDTH)),
    };
    let mut n: u64 = 0;
    let three = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
    for e in rest {
        let g = e.strip_prefix('x').filter(|g| three(g)).ok_or(TileError::BadPath)?;
        n = n.checked_mul(1000).and_then(|n| n.checked_add(g.parse().unwrap_or(0))).ok_or(TileError::BadPath)?;
    }
    if !three(last) {
        return Err(TileError::BadPath);
    }
    n = n.checked_mul(1000).and_then(|n| n.checked_add(last.parse().unwrap_or(0))).ok_or(TileError::BadPath)?;
    // A leading "x000" would make two spellings of one index.
    if rest.first() == Some(&"x000") {
        return Err(TileError::BadPath);
    }
    Ok((n, width.unwrap_or(0)))
}

/// Parses `tile/<L>/<N>[.p/<W>]` into level, index and width (256 for a full tile).
pub fn parse_tile_path(path: &str) -> Result<(u8, u64, u16), TileError> {
    let rest = path.strip_prefix("tile/").ok_or(TileError::BadPath)?;
    let (level, rest) = rest.split_once('/').ok_or(TileError::BadPath)?;
    if level.is_empty()
        || level.len() > 2
        || !level.bytes().all(|b| b.is_ascii_digit())
        || (level.len() > 1 && level.starts_with('0'))
    {
        return Err(TileError::BadPath);
    }
    let level: u8 = level.parse().map_err(|_| TileError::BadPath)?;
    if level > 63 {
        return Err(TileError::BadPath);
    }
    let (index_part, width) = match rest.rsplit_once(".p/") {
        Some((i, w)) => {
            let valid = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) && !w.starts_with('0');
            let w: u16 =
                if valid { w.parse().map_err(|_| TileError::BadPath)? } else { return Err(TileError::BadPath) };
            if !(1..TILE_WIDTH).contains(&w) {
                return Err(TileError::BadPath);
            }
            (i, Some(w))
        }
        None => (rest, None),
    };
    let elements: Vec<&str> = index_part.split('/').collect();
    let (index, _) = parse_index_and_width(&elements)?;
    Ok((level, index, width.unwrap_or(TILE_WIDTH)))
}

/// A tile's bytes: its hashes, concatenated.
pub fn tile_bytes(hashes: &[Hash]) -> Result<Vec<u8>, TileError> {
    if hashes.is_empty() || hashes.len() > usize::from(TILE_WIDTH) {
        return Err(TileError::BadTile);
    }
    Ok(hashes.concat())
}

/// The hashes of a tile's bytes.
pub fn parse_tile(bytes: &[u8]) -> Result<Vec<Hash>, TileError> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(32) || bytes.len() > 32 * usize::from(TILE_WIDTH) {
        return Err(TileError::BadTile);
    }
    Ok(bytes.chunks(32).filter_map(|c| c.try_into().ok()).collect())
}

/// An entry bundle: each entry prefixed by its length as a big-endian u16.
pub fn entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TileError> {
    if entries.len() > usize::from(TILE_WIDTH) {
        return Err(TileError::TooManyEntries);
    }
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLong)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of a bundle.
pub fn parse_entry_bundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else { return Err(TileError::BadBundle) };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len || out.len() == usize::from(TILE_WIDTH) {
            return Err(TileError::BadBundle);
        }
        out.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec() {
        assert_eq!(tile_path(0, 0, 256), "tile/0/000");
        assert_eq!(tile_path(0, 999, 256), "tile/0/999");
        assert_eq!(tile_path(0, 1000, 256), "tile/0/x001/000");
        assert_eq!(tile_path(3, 1234067, 256), "tile/3/x001/x234/067");
        assert_eq!(tile_path(0, 7, 1), "tile/0/007.p/1");
        assert_eq!(entries_path(1234067, 255), "tile/entries/x001/x234/067.p/255");
        for (l, n, w) in [(0u8, 0u64, 256u16), (5, 1_000_000_000_007, 3), (63, u64::MAX, 256)] {
            assert_eq!(parse_tile_path(&tile_path(l, n, w)), Ok((l, n, w)));
        }
        for bad in [
            "",
            "tile/",
            "tile/0/",
            "tile/0/1",
            "tile/0/0001",
            "tile/0/x1/000",
            "tile/00/000",
            "tile/64/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/",
            "tile/0/x000/001",
            "tile/0/000/",
            "tiles/0/000",
            "tile/0/000.p/01",
            "tile/a/000",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert!(parse_tile_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frontier_tiles_and_proofs_agree_with_the_tree() {
        use crate::merkle::{consistency_ranges, inclusion_ranges, leaf_hash, Tree};
        let n = 256 * 256 + 300;
        let leaves: Vec<Hash> = (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let tree = Tree::new(leaves.clone());
        let mut frontier = Frontier::default();
        let mut tiles = Tiles::new();
        let mut full = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            frontier.push(*leaf, &mut full);
            let size = i as u64 + 1;
            if [1, 2, 255, 256, 257, 65535, 65536, 65537, n as u64].contains(&size) {
                assert_eq!(frontier.root(), tree.root(size).unwrap(), "root at {size}");
                let resumed = Frontier::resume(size, frontier.edge().to_vec()).unwrap();
                assert_eq!(resumed.root(), frontier.root());
            }
        }
        assert_eq!(full.len(), 258);
        assert_eq!((full[256].level, full[256].index), (1, 0));
        for t in full {
            tiles.insert((t.level, t.index), t.hashes);
        }
        for (l, edge) in frontier.edge().iter().enumerate() {
            if !edge.is_empty() {
                let index = (n as u64 >> (8 * l)) / 256;
                assert_eq!(tile_width(l as u8, index, n as u64) as usize, edge.len());
                tiles.insert((l as u8, index), edge.clone());
            }
        }
        for (index, size) in [(0u64, n as u64), (65_800, n as u64), (65_535, 65_537), (5, 6), (300, 1000)] {
            let ranges = inclusion_ranges(index, size).unwrap();
            assert!(tiles_for(&ranges, size).iter().all(|&(l, i, w)| tiles.get(&(l, i)).unwrap().len() >= w as usize));
            assert_eq!(proof(&tiles, &ranges).unwrap(), tree.inclusion_proof(index, size).unwrap());
        }
        for (old, new) in [(1u64, n as u64), (65_536, n as u64), (300, 65_830), (7, 8)] {
            let ranges = consistency_ranges(old, new).unwrap();
            assert_eq!(proof(&tiles, &ranges).unwrap(), tree.consistency_proof(old, new).unwrap());
        }
        assert!(Frontier::resume(5, vec![vec![[0; 32]; 4]]).is_err());
        assert!(Frontier::resume(256, vec![vec![[0; 32]; 0]]).is_err());
        assert_eq!(range_hash(&Tiles::new(), 0, 1), Err(TileError::MissingTile { level: 0, index: 0 }));
    }

    #[test]
    fn bundles_and_tiles_round_trip_and_refuse_garbage() {
        let entries: Vec<&[u8]> = vec![b"", b"a", &[0u8; 300]];
        let bundle = entry_bundle(&entries).unwrap();
        assert_eq!(&bundle[..3], &[0, 0, 0]);
        assert_eq!(parse_entry_bundle(&bundle).unwrap(), entries);
        assert_eq!(parse_entry_bundle(&bundle[..bundle.len() - 1]), Err(TileError::BadBundle));
        assert_eq!(parse_entry_bundle(&[0]), Err(TileError::BadBundle));
        assert_eq!(entry_bundle(&[&vec![0u8; 65536]]), Err(TileError::EntryTooLong));
        let hashes = [[1u8; 32], [2u8; 32]];
        assert_eq!(parse_tile(&tile_bytes(&hashes).unwrap()).unwrap(), hashes);
        assert_eq!(parse_tile(&[0u8; 33]), Err(TileError::BadTile));
        assert_eq!(tile_bytes(&[]), Err(TileError::BadTile));
    }
}
