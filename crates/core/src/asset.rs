//! The inventory of ICT equipment and software (Normen 3.2), and reading it from the CSV an
//! inventory or MDM tool exports. Pure.

use crate::import::RowError;
use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Kinds of equipment and software Normen 3.2 names.
    AssetKind {
        Computer = "computer",
        Phone = "phone",
        Tablet = "tablet",
        Server = "server",
        Network = "network",
        Printer = "printer",
        Storage = "storage",
        App = "app",
        IpPhone = "ip_phone",
        /// Medical equipment that processes health data.
        MedicalDevice = "medical_device",
        Other = "other",
    }
}

/// One asset. `identifier` (host name, serial number, app id) is unique in the organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewAsset {
    pub identifier: String,
    /// One of the [`AssetKind`] codes.
    pub kind: String,
    pub model: String,
    pub owner: String,
    pub location: String,
    pub os: String,
    pub os_version: String,
    /// Installed software with versions, one per line or separated by `;`.
    pub software: String,
    pub supplier: String,
    /// The person responsible for it.
    pub responsible: String,
}

/// The fields in spreadsheet order, each with the headings accepted on import: ours first,
/// then what common inventory and MDM exports (Intune, Jamf, Lansweeper, Snipe-IT) call it.
pub const COLUMNS: &[(&str, &[&str])] = &[
    (
        "identifier",
        &[
            "Identifikator",
            "identifier",
            "Device name",
            "Enhetsnavn",
            "Hostname",
            "Computer name",
            "Asset tag",
            "Serial number",
            "Serienummer",
            "Name",
            "Navn",
        ],
    ),
    ("kind", &["Type", "kind", "Device type", "Enhetstype", "Category", "Kategori", "Asset type"]),
    ("model", &["Modell", "model", "Model", "Product"]),
    ("owner", &["Eier", "owner", "Ownership", "Eierskap", "Company"]),
    ("location", &["Plassering", "location", "Location", "Site", "Lokasjon"]),
    ("os", &["Operativsystem", "os", "OS", "Operating system", "Platform", "Plattform"]),
    ("os_version", &["OS-versjon", "os_version", "OS version", "Operating system version", "OS-version"]),
    ("software", &["Programvare", "software", "Installed software", "Installed apps", "Applications"]),
    ("supplier", &["Leverandør", "supplier", "Manufacturer", "Produsent", "Vendor"]),
    (
        "responsible",
        &[
            "Ansvarlig",
            "responsible",
            "Primary user UPN",
            "Primary user",
            "User",
            "Bruker",
            "Assigned to",
            "Primary user email address",
        ],
    ),
];

impl NewAsset {
    pub fn get(&self, field: &str) -> &str {
        match field {
            "identifier" => &self.identifier,
            "kind" => &self.kind,
            "model" => &self.model,
            "owner" => &self.owner,
            "location" => &self.location,
            "os" => &self.os,
            "os_version" => &self.os_version,
            "software" => &self.software,
            "supplier" => &self.supplier,
            "responsible" => &self.responsible,
            _ => "",
        }
    }

    fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "identifier" => &mut self.identifier,
            "kind" => &mut self.kind,
            "model" => &mut self.model,
            "owner" => &mut self.owner,
            "location" => &mut self.location,
            "os" => &mut self.os,
            "os_version" => &mut self.os_version,
            "software" => &mut self.software,
            "supplier" => &mut self.supplier,
            "responsible" => &mut self.responsible,
            _ => return,
        };
        *slot = value;
    }
}

/// Norwegian words and the device types MDM tools write, for each kind.
const KIND_WORDS: &[(AssetKind, &[&str])] = &[
    (
        AssetKind::Computer,
        &["datamaskin", "pc", "laptop", "bærbar", "desktop", "windows", "macos", "mac", "workstation"],
    ),
    (AssetKind::Phone, &["telefon", "mobil", "mobiltelefon", "smartphone", "iphone", "android", "mobile"]),
    (AssetKind::Tablet, &["nettbrett", "ipad"]),
    (AssetKind::Server, &["tjener"]),
    (
        AssetKind::Network,
        &["nettverk", "nettverksutstyr", "switch", "router", "ruter", "brannmur", "firewall", "access point"],
    ),
    (AssetKind::Printer, &["skriver"]),
    (AssetKind::Storage, &["lagring", "nas", "san", "disk"]),
    (AssetKind::App, &["applikasjon"]),
    (AssetKind::IpPhone, &["ip-telefon", "voip"]),
    (AssetKind::MedicalDevice, &["medisinsk utstyr", "medisinteknisk utstyr"]),
    (AssetKind::Other, &["annet", "annen"]),
];

/// The text fields of an asset (every column but the kind): an identifier, the rest optional.
pub const TEXT: &[Field] = &[
    Field::line("identifier", 500),
    Field::optional("model", Lines::One, 500),
    Field::optional("owner", Lines::One, 500),
    Field::optional("location", Lines::One, 500),
    Field::optional("os", Lines::One, 500),
    Field::optional("os_version", Lines::One, 500),
    Field::optional("software", Lines::Many, 20_000),
    Field::optional("supplier", Lines::One, 500),
    Field::optional("responsible", Lines::One, 500),
];

/// Reads a kind from its code, a Norwegian word or an MDM device type.
pub fn parse_kind(text: &str) -> Option<AssetKind> {
    let lower = text.trim().to_lowercase();
    lower.parse().ok().or_else(|| KIND_WORDS.iter().find(|(_, words)| words.contains(&lower.as_str())).map(|(k, _)| *k))
}

/// Checks an asset: an identifier, a known kind, sane lengths.
pub fn check(a: &NewAsset) -> Vec<Problem> {
    let mut p = Vec::new();
    p.extend(TEXT.iter().filter_map(|f| f.check(a.get(f.name))));
    if a.kind.parse::<AssetKind>().is_err() {
        let kinds: Vec<&str> = AssetKind::ALL.iter().map(|k| k.as_str()).collect();
        // Readers are shown the Norwegian words an import takes, not the codes.
        let words: Vec<&str> = KIND_WORDS.iter().filter_map(|(_, w)| w.first().copied()).collect();
        p.push(
            Problem::new("kind", ProblemKey::NotOneOf, format!("one of {}", kinds.join(", ")))
                .arg("value", a.kind.trim())
                .arg("values", words.join(", ")),
        );
    }
    p
}

/// Reads assets from spreadsheet rows (the first holds the headings). A row without a kind
/// gets `default_kind` (an MDM export of phones says nothing else). Every problem is listed by
/// row and column; identifiers must be unique in the file.
pub fn read_rows(table: &[Vec<String>], default_kind: Option<AssetKind>) -> Result<Vec<NewAsset>, Vec<RowError>> {
    let Some(heading) = table.first() else { return Err(vec![RowError::file(ProblemKey::FileEmpty)]) };
    let mapped = crate::import::map_headings(heading, COLUMNS, &["identifier"])?;
    if default_kind.is_none() && !mapped.contains(&Some("kind")) {
        return Err(vec![RowError::new(1, "Type", ProblemKey::ColumnMissingOrKind)]);
    }
    let heading_of = |field: &str| {
        mapped
            .iter()
            .position(|m| *m == Some(field))
            .and_then(|i| heading.get(i))
            .map_or_else(|| field.to_string(), |h| h.trim().to_string())
    };
    let mut errors = Vec::new();
    let mut out: Vec<NewAsset> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        let line = i + 1;
        if crate::import::blank(row) {
            continue;
        }
        errors.extend(crate::import::overflow(row, mapped.len(), line));
        let mut asset = NewAsset::default();
        for (cell, field) in row.iter().zip(&mapped) {
            if let Some(field) = field {
                asset.set(field, cell.trim().to_string());
            }
        }
        match (asset.kind.is_empty(), default_kind) {
            (true, Some(k)) => asset.kind = k.as_str().into(),
            _ => {
                if let Some(k) = parse_kind(&asset.kind) {
                    asset.kind = k.as_str().into();
                }
            }
        }
        for problem in check(&asset) {
            errors.push(RowError::of(line, heading_of(problem.field), problem));
        }
        let key = asset.identifier.trim().to_lowercase();
        if !key.is_empty() {
            if let Some(first) = seen.insert(key, line) {
                errors.push(RowError::new(line, heading_of("identifier"), ProblemKey::SameAsRow).arg("row", first));
            }
        }
        out.push(asset);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_column_but_the_kind_has_its_text_rule() {
        let columns: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).filter(|c| *c != "kind").collect();
        let rules: Vec<&str> = TEXT.iter().map(|f| f.name).collect();
        assert_eq!(columns, rules);
    }

    fn t(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn an_intune_export_reads_with_its_own_headings() {
        let table = t(&[
            &["Device name", "Managed by", "OS", "OS version", "Primary user UPN", "Manufacturer", "Model"],
            &["PC-0142", "Intune", "Windows", "10.0.22631", "kari@helse.no", "Lenovo", "T14"],
            &["IPHONE-7", "Intune", "iOS", "17.5", "ola@helse.no", "Apple", "iPhone 14"],
        ]);
        // «Managed by» is not ours: the import says so rather than guessing.
        let errors = read_rows(&table, Some(AssetKind::Computer)).unwrap_err();
        assert_eq!((errors[0].row, errors[0].field.as_str()), (1, "Managed by"));
        let without: Vec<Vec<String>> = table
            .iter()
            .map(|r| r.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, c)| c.clone()).collect())
            .collect();
        let assets = read_rows(&without, Some(AssetKind::Computer)).unwrap();
        assert_eq!(assets[0].identifier, "PC-0142");
        assert_eq!(
            (assets[1].os.as_str(), assets[1].os_version.as_str(), assets[1].kind.as_str()),
            ("iOS", "17.5", "computer")
        );
        assert_eq!(assets[1].responsible, "ola@helse.no");
    }

    #[test]
    fn kinds_are_read_from_words_and_bad_rows_listed() {
        assert_eq!(parse_kind("Skriver"), Some(AssetKind::Printer));
        assert_eq!(parse_kind("ip_phone"), Some(AssetKind::IpPhone));
        assert_eq!(parse_kind("kaffemaskin"), None);
        let errors = read_rows(
            &t(&[
                &["Identifikator", "Type"],
                &["srv-1", "tjener"],
                &["", "pc"],
                &["SRV-1", "server"],
                &["x", "kaffemaskin"],
            ]),
            None,
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(got, vec![(3, "Identifikator"), (4, "Identifikator"), (5, "Type")]);
    }
}
