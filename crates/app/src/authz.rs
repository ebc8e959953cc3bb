//! The authorization register as the pages share it: people added and checked, authorisations
//! granted, changed and revoked only by the manager of the person's unit or the security lead,
//! each change appended to the authorisation's history.

use crate::access_log::AccessLog;
use crate::clock::{date_in_norway, Clock};
use normverk_core::access_log::AccessAction;
use normverk_core::authz::PersonIn;
use normverk_core::authz::{self as core, Grant, Template};
use normverk_core::import::RowError;
use normverk_core::problem::{Problem, ProblemKey};
use normverk_store::authz::{Authorisation, Person};
use normverk_store::processing::Saved;
use normverk_store::{OrgId, Store, StoreError};
use std::sync::Arc;

use crate::access_log::Accessor;
use crate::grant::invalid_unless;
pub use crate::grant::{log_subject, AuthzError, Granter, RegisterLog, LOG_INFORMATION_TYPE};

/// Revokes the leavers' authorisations every `every` until `stop` turns true.
pub async fn run_leaver_revoker(
    register: std::sync::Arc<Register>,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match register.revoke_for_leavers().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(revoked = n, "authorisations of people who have left revoked"),
            Err(e) => tracing::error!(error = %e, "revoking leavers' authorisations failed; trying again later"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {},
            _ = stop.changed() => return,
        }
    }
}

/// The register's service.
pub struct Register {
    store: Store,
    clock: Clock,
    log: RegisterLog,
    reviews: Arc<crate::access_review::Reviews>,
}

impl Register {
    pub fn new(store: Store, clock: Clock, log: RegisterLog, reviews: Arc<crate::access_review::Reviews>) -> Self {
        Register { store, clock, log, reviews }
    }

    /// Writes to the tamper-evident access log that `by` read the register (a person in it, or
    /// the whole), so that no one can alter it unseen (Normen 5.2.1.1, 5.4.4). The record is
    /// durable before the page is shown; if it cannot be written, the request fails. (Changes
    /// are written in their own transactions.)
    pub async fn record_read(&self, org_id: OrgId, person_id: Option<i64>, by: &Accessor) -> Result<(), AuthzError> {
        self.log.read(org_id, person_id, by).await
    }

    /// Adds a person (`id` is `None`) or replaces what is kept of person `id`, with `by`'s
    /// change written to the access log in the same transaction. Returns the id.
    async fn save_person(
        &self,
        org_id: OrgId,
        id: Option<i64>,
        p: &PersonIn,
        by: &Accessor,
    ) -> Result<i64, AuthzError> {
        let action = if id.is_some() { AccessAction::Update } else { AccessAction::Create };
        let mut event = self.log.event(org_id, id, action, by).await?;
        // The subject of a new person is known only in the transaction; it differs from the
        // one checked only in its digits, which `accept` does not read.
        let record = |id| {
            event.patient_id = log_subject(Some(id));
            AccessLog::leaf(org_id, &event)
        };
        let id = self.store.save_person(org_id, id, p, record, self.clock.now()).await?;
        self.log.appended();
        Ok(id)
    }

    /// Today in Norway, `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        date_in_norway(self.clock.now())
    }

    /// The units `user_id` manages in the organisation.
    pub async fn managed_units(&self, org_id: OrgId, user_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .store
            .managed_units(org_id)
            .await?
            .into_iter()
            .filter(|m| m.user_id == user_id)
            .map(|m| m.unit_id)
            .collect())
    }

    /// Adds a person: a name, an HPR number of digits if any, the enterprise's organisation
    /// number (the organisation's own when empty), a real leaving date if any. Returns the id.
    /// A manager adds people only to a unit they manage; the security lead to any or none.
    pub async fn add_person(
        &self,
        org_id: OrgId,
        own_number: &str,
        mut p: PersonIn,
        by: &Granter,
    ) -> Result<i64, AuthzError> {
        if !core::may_grant(by.security_lead, &by.managed_units, p.unit_id) {
            return Err(AuthzError::NotTheirManager);
        }
        if p.enterprise.trim().is_empty() {
            p.enterprise = own_number.to_string();
        }
        invalid_unless(core::check_person(&p))?;
        self.save_person(org_id, None, &p, &by.actor()).await
    }

    /// People imported from HR, all or nothing: those with an employee number already in the
    /// register are updated (what the file has no column for is kept), the rest added, and each
    /// given an authorisation from every role template the file assigns them that they do not
    /// hold already — which `by` must be allowed to grant; or every problem by row and column.
    pub async fn import_people(
        &self,
        org_id: OrgId,
        own_number: &str,
        table: &[Vec<String>],
        by: &Granter,
    ) -> Result<Result<Saved, StoreError>, Vec<RowError>> {
        let looked_up = async {
            let lower = |pairs: Vec<(String, i64)>| pairs.into_iter().map(|(n, id)| (n.to_lowercase(), id)).collect();
            let units = self.store.units(org_id).await?.into_iter().map(|u| (u.name, u.id)).collect();
            let templates = self.store.role_templates(org_id).await?;
            let names = core::Names {
                units: lower(units),
                templates: lower(templates.iter().map(|t| (t.template.name.clone(), t.id)).collect()),
            };
            Ok::<_, StoreError>((names, templates, self.store.people(org_id).await?))
        };
        let (names, templates, existing) = match looked_up.await {
            Ok(found) => found,
            Err(e) => return Ok(Err(e)),
        };
        let import = core::read_people(table, &names, own_number)?;
        let mut moved = Vec::new();
        let mut people = Vec::new();
        let mut holds = Vec::new();
        for p in &import.people {
            let found = existing.iter().find(|e| !p.employee_id.is_empty() && e.employee_id == p.employee_id);
            people.push(match found {
                Some(e) => {
                    let merged = import.merged(p.clone(), &e.as_input());
                    if normverk_core::access_review::raises_review(&e.as_input(), &merged) {
                        moved.push((e.id, merged.name.clone()));
                    }
                    merged
                }
                None => p.clone(),
            });
            holds.push(found.map(|e| e.id));
        }
        let grants = match self.role_grants(org_id, &import, &people, &holds, &templates, by).await {
            Ok(Ok(grants)) => grants,
            Ok(Err(errors)) => return Err(errors),
            Err(e) => return Ok(Err(e)),
        };
        let record = match self.log.leaf(org_id, None, AccessAction::Create, &by.actor()).await {
            Ok(record) => record,
            Err(AuthzError::Store(e)) => return Ok(Err(e)),
            Err(e) => return Ok(Err(StoreError::Io(std::io::Error::other(e.to_string())))),
        };
        let now = self.clock.now();
        let saved = self.store.import_people(org_id, &people, &grants, Some(by.user_id), &record, now).await;
        if saved.is_ok() {
            self.log.appended();
            self.raise(org_id, &moved).await;
        }
        Ok(saved)
    }

    /// The grants the import's role assignments make, per person: from each assigned template a
    /// person (`holds`: their id if in the register) does not hold standing already; or every
    /// problem, by row, with a grant `by` may not make or a template that cannot be granted.
    async fn role_grants(
        &self,
        org_id: OrgId,
        import: &core::PeopleImport,
        people: &[PersonIn],
        holds: &[Option<i64>],
        templates: &[normverk_store::authz::StoredTemplate],
        by: &Granter,
    ) -> Result<Result<Vec<Vec<Grant>>, Vec<RowError>>, StoreError> {
        if import.roles.iter().all(Vec::is_empty) {
            return Ok(Ok(vec![Vec::new(); people.len()]));
        }
        let standing: Vec<Authorisation> =
            self.store.authorisations(org_id, None).await?.into_iter().filter(|a| !a.revoked).collect();
        let systems = self.systems(org_id).await?;
        let today = self.today();
        let heading = core::people_heading("roles");
        let mut errors = Vec::new();
        let mut grants = Vec::new();
        for ((p, roles), (row, holder)) in people.iter().zip(&import.roles).zip(import.rows.iter().zip(holds)) {
            let mut given = Vec::new();
            for t in templates.iter().filter(|t| roles.contains(&t.id)) {
                let held = standing.iter().any(|a| Some(a.person_id) == *holder && t.template.given_by(&a.grant));
                if held {
                    continue;
                }
                if !core::may_grant(by.security_lead, &by.managed_units, p.unit_id) {
                    errors.push(RowError::new(*row, heading.clone(), ProblemKey::NotTheirManager));
                    break;
                }
                let g = t.template.grant_from(&today);
                errors.extend(
                    core::check_grant(&g, &systems).into_iter().map(|pr| RowError::of(*row, heading.clone(), pr)),
                );
                given.push(g);
            }
            grants.push(given);
        }
        Ok(if errors.is_empty() { Ok(grants) } else { Err(errors) })
    }

    /// Raises a review for each person moved or whose employment changed; a failure is logged,
    /// not the change's (the change is made; the review can be started by hand).
    pub(crate) async fn raise(&self, org_id: OrgId, moved: &[(i64, String)]) {
        if moved.is_empty() {
            return;
        }
        if let Err(e) = self.reviews.raise_for_transfers(org_id, moved).await {
            tracing::warn!(error = %e, "a review after a transfer could not be raised");
        }
    }

    fn may(person: &Person, by: &Granter) -> Result<(), AuthzError> {
        if core::may_grant(by.security_lead, &by.managed_units, person.unit_id) {
            Ok(())
        } else {
            Err(AuthzError::NotTheirManager)
        }
    }

    async fn systems(&self, org_id: OrgId) -> Result<Vec<i64>, StoreError> {
        Ok(self.store.systems(org_id).await?.iter().map(|s| s.id).collect())
    }

    /// Grants `g` to the organisation's person `person_id`. Returns the authorisation's id.
    pub async fn grant(&self, org_id: OrgId, person_id: i64, g: Grant, by: &Granter) -> Result<i64, AuthzError> {
        let person = self.store.person(org_id, person_id).await?;
        Self::may(&person, by)?;
        invalid_unless(core::check_grant(&g, &self.systems(org_id).await?))?;
        let record = self.log.leaf(org_id, Some(person_id), AccessAction::Create, &by.actor()).await?;
        let now = self.clock.now();
        let id = self.store.grant_authorisation(org_id, person_id, &g, Some(by.user_id), &record, now).await?;
        self.log.appended();
        Ok(id)
    }

    /// Revokes every authorisation still standing of the people who have left (their last day
    /// passed; Normen 5.1.3), in every organisation, recorded as done by normverk with the
    /// date. An organisation that fails is logged and passed over, so the others' leavers still
    /// lose their access; it is tried again on the next run. Returns how many were revoked.
    pub async fn revoke_for_leavers(&self) -> Result<usize, AuthzError> {
        let Some(today) = normverk_core::assessment::Date::parse(&self.today()) else { return Ok(0) };
        let mut revoked = 0;
        for org in self.store.orgs().await? {
            match self.revoke_leavers_of(org.id, today).await {
                Ok(n) => revoked += n,
                Err(e) => tracing::error!(org = org.id.0, error = %e, "revoking an organisation's leavers failed"),
            }
        }
        Ok(revoked)
    }

    /// [`Register::revoke_for_leavers`] in one organisation.
    async fn revoke_leavers_of(
        &self,
        org_id: OrgId,
        today: normverk_core::assessment::Date,
    ) -> Result<usize, AuthzError> {
        let left: Vec<Person> =
            self.store.people(org_id).await?.into_iter().filter(|p| core::has_left(&p.ends_on, today)).collect();
        if left.is_empty() {
            return Ok(0);
        }
        let standing: Vec<Authorisation> =
            self.store.authorisations(org_id, None).await?.into_iter().filter(|a| !a.revoked).collect();
        let mut revoked = 0;
        for p in &left {
            let theirs: Vec<&Authorisation> = standing.iter().filter(|a| a.person_id == p.id).collect();
            revoked += self.revoke_all(org_id, p, &theirs, &Accessor::Normverk).await?;
        }
        Ok(revoked)
    }

    /// Revokes the given standing authorisations of `p`, who has left, with their last day as
    /// the reason. Returns how many were revoked.
    async fn revoke_all(
        &self,
        org_id: OrgId,
        p: &Person,
        standing: &[&Authorisation],
        by: &Accessor,
    ) -> Result<usize, AuthzError> {
        let mut revoked = 0;
        if standing.is_empty() {
            return Ok(0);
        }
        let event = self.log.event(org_id, Some(p.id), AccessAction::Update, by).await?;
        let reason = format!("Sluttet {} (Normen 5.1.3)", p.ends_on);
        for a in standing {
            let record = AccessLog::leaf(org_id, &event);
            let now = self.clock.now();
            match self.store.append_authorisation(org_id, a.id, "revoke", &a.grant, &reason, None, &record, now).await {
                Ok(()) => {
                    self.log.appended();
                    revoked += 1
                }
                // Revoked by someone meanwhile: nothing more to do.
                Err(StoreError::Rejected(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(revoked)
    }

    /// Saves a person as the IAM provisions them by SCIM: a new one (or the person HR imported
    /// with the same employee number, not yet provisioned), or the organisation's `id`. What
    /// the IAM does not send (an HPR number, a unit, the enterprise) is kept; a department is a
    /// unit's name; `active: false` makes yesterday their last day, revoking every authorisation
    /// now. A change of unit or employment raises a review. Returns the id.
    pub async fn provision(
        &self,
        org_id: OrgId,
        own_number: &str,
        id: Option<i64>,
        u: &normverk_core::scim::User,
        token_id: i64,
    ) -> Result<i64, AuthzError> {
        use normverk_store::scim::PersonKey;
        let existing = match id {
            Some(id) => Some(self.store.person(org_id, id).await?),
            None => {
                if self.store.person_by(org_id, PersonKey::UserName, &u.user_name).await?.is_some() {
                    return Err(AuthzError::Store(StoreError::Conflict("userName".into())));
                }
                match u.employee_number.is_empty() {
                    true => None,
                    false => self
                        .store
                        .person_by(org_id, PersonKey::EmployeeId, &u.employee_number)
                        .await?
                        .filter(|p| p.user_name.is_empty()),
                }
            }
        };
        let before = existing.as_ref().map(Person::as_input).unwrap_or_default();
        let unit_id = match u.department.as_str() {
            "" => before.unit_id,
            name => {
                let found = self.store.unit_named(org_id, name).await?.map(|x| x.id);
                Some(found.ok_or_else(|| {
                    AuthzError::Invalid(vec![Problem::new(
                        "department",
                        ProblemKey::NoSuchUnit,
                        format!("no unit named {name}"),
                    )
                    .arg("name", name)])
                })?)
            }
        };
        let today = self.today();
        let yesterday = date_in_norway(self.clock.now() - 86_400);
        let ends_on = match (u.active, before.ends_on.as_str()) {
            (false, end) if !end.is_empty() && end <= yesterday.as_str() => end.to_string(),
            (false, _) => yesterday,
            (true, end) if !end.is_empty() && end < today.as_str() => String::new(),
            (true, end) => end.to_string(),
        };
        let keep = |new: &str, old: &str| if new.is_empty() { old.to_string() } else { new.to_string() };
        let p = PersonIn {
            name: u.name.clone(),
            employee_id: keep(&u.employee_number, &before.employee_id),
            hpr: keep(&u.hpr, &before.hpr),
            enterprise: keep(
                &u.organization,
                if before.enterprise.is_empty() { own_number } else { &before.enterprise },
            ),
            unit_id,
            ends_on,
            user_name: u.user_name.clone(),
            external_id: u.external_id.clone(),
        };
        invalid_unless(core::check_person(&p))?;
        let id = self.save_person(org_id, existing.as_ref().map(|e| e.id), &p, &Accessor::Token { token_id }).await?;
        if existing.is_some() && normverk_core::access_review::raises_review(&before, &p) {
            self.raise(org_id, &[(id, p.name.clone())]).await;
        }
        let left = normverk_core::assessment::Date::parse(&today).is_some_and(|t| core::has_left(&p.ends_on, t));
        if left {
            self.revoke_if_left(org_id, id, &Accessor::Token { token_id }).await?;
        }
        Ok(id)
    }

    /// The IAM deletes a person: they stay in the register (kept 5 years after their last
    /// authorisation ends; Normen 2.3) with yesterday as their last day unless it was earlier,
    /// every authorisation revoked, and no longer provisioned.
    pub async fn deprovision(&self, org_id: OrgId, id: i64, token_id: i64) -> Result<(), AuthzError> {
        let mut p = self.store.person(org_id, id).await?.as_input();
        if p.user_name.is_empty() {
            return Err(AuthzError::Store(StoreError::NotFound));
        }
        let yesterday = date_in_norway(self.clock.now() - 86_400);
        if p.ends_on.is_empty() || p.ends_on > yesterday {
            p.ends_on = yesterday;
        }
        p.user_name.clear();
        p.external_id.clear();
        let by = Accessor::Token { token_id };
        self.save_person(org_id, Some(id), &p, &by).await?;
        self.revoke_if_left(org_id, id, &by).await?;
        Ok(())
    }

    /// The IAM changed the roles (groups) of `people`: those holding access to another
    /// enterprise's data have it reviewed (Normen 5.2.1.3: flagged on a change of role).
    pub async fn roles_changed(&self, org_id: OrgId, people: &[i64]) -> Result<(), StoreError> {
        let mut flagged = Vec::new();
        for &id in people {
            let standing = self.store.authorisations(org_id, Some(id)).await?;
            if standing.iter().any(|a| !a.revoked && a.grant.other_enterprise.is_some()) {
                flagged.push((id, self.store.person(org_id, id).await?.name));
            }
        }
        self.raise(org_id, &flagged).await;
        Ok(())
    }

    async fn revoke_if_left(&self, org_id: OrgId, id: i64, by: &Accessor) -> Result<usize, AuthzError> {
        let p = self.store.person(org_id, id).await?;
        let Some(today) = normverk_core::assessment::Date::parse(&self.today()) else { return Ok(0) };
        if !core::has_left(&p.ends_on, today) {
            return Ok(0);
        }
        let all = self.store.authorisations(org_id, Some(id)).await?;
        let standing: Vec<&Authorisation> = all.iter().filter(|a| !a.revoked).collect();
        self.revoke_all(org_id, &p, &standing, by).await
    }

    /// Saves a role template: a new one, or the organisation's `id`. Returns its id.
    pub async fn save_template(&self, org_id: OrgId, id: Option<i64>, t: Template) -> Result<i64, AuthzError> {
        invalid_unless(core::check_template(&t, &self.systems(org_id).await?))?;
        match self.store.save_role_template(org_id, id, &t, self.clock.now()).await {
            Err(StoreError::Conflict(_)) => Err(AuthzError::Invalid(vec![Problem::new(
                "name",
                ProblemKey::Duplicate,
                "another template has that name",
            )])),
            other => Ok(other?),
        }
    }

    /// Revokes the organisation's authorisation `id` with the reason.
    pub async fn revoke(&self, org_id: OrgId, id: i64, reason: &str, by: &Granter) -> Result<(), AuthzError> {
        let current = self.store.authorisations(org_id, None).await?.into_iter().find(|a| a.id == id);
        let current = current.ok_or(StoreError::NotFound)?;
        let person = self.store.person(org_id, current.person_id).await?;
        Self::may(&person, by)?;
        invalid_unless(
            normverk_core::text::field(core::TEXT, "reason").and_then(|f| f.check(reason)).into_iter().collect(),
        )?;
        let record = self.log.leaf(org_id, Some(person.id), AccessAction::Update, &by.actor()).await?;
        let now = self.clock.now();
        let g = &current.grant;
        self.store.append_authorisation(org_id, id, "revoke", g, reason, Some(by.user_id), &record, now).await?;
        self.log.appended();
        Ok(())
    }
}
