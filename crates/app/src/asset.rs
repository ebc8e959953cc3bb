//! The asset inventory (Normen 3.2): equipment and software checked by core's rules before they
//! are stored, and imports from inventory and MDM exports in one transaction.

use crate::clock::Clock;
use normverk_core::asset::{check, NewAsset};
use normverk_core::problem::Problem;
use normverk_store::asset::Asset;
use normverk_store::{OrgId, Store, StoreError};

/// Why an asset was not saved.
#[derive(Debug)]
pub enum AssetError {
    /// What is wrong with it, field by field; nothing was stored.
    Invalid(Vec<Problem>),
    Store(StoreError),
}

impl From<StoreError> for AssetError {
    fn from(e: StoreError) -> Self {
        AssetError::Store(e)
    }
}

/// The inventory service.
pub struct Assets {
    store: Store,
    clock: Clock,
}

impl Assets {
    pub fn new(store: Store, clock: Clock) -> Self {
        Assets { store, clock }
    }

    fn checked(a: &NewAsset) -> Result<(), AssetError> {
        let problems = check(a);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AssetError::Invalid(problems))
        }
    }

    pub async fn create(&self, org_id: OrgId, a: &NewAsset) -> Result<Asset, AssetError> {
        Self::checked(a)?;
        Ok(self.store.create_asset(org_id, a, self.clock.now()).await?)
    }

    pub async fn update(&self, org_id: OrgId, id: i64, a: &NewAsset) -> Result<Asset, AssetError> {
        Self::checked(a)?;
        Ok(self.store.update_asset(org_id, id, a, self.clock.now()).await?)
    }

    /// Saves imported rows (read and checked by `core::asset::read_rows`): updated by
    /// identifier, the rest added. Returns (created, updated).
    pub async fn import(&self, org_id: OrgId, rows: &[NewAsset]) -> Result<(usize, usize), StoreError> {
        self.store.import_assets(org_id, rows, self.clock.now()).await
    }
}
