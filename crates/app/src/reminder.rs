//! E-mail from normverk, when SMTP is configured: the breach clock's reminders at 24, 48 and 66
//! hours after awareness (Normen 5.8.1), to those answerable for the notice
//! (`core::deviation::reminded`); and the access reviews' reminders and escalation. A reminder carries the deviation's number and deadline, never
//! what happened: that stays behind the login.

use crate::clock::{date_in_norway, in_norway, Clock};
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use normverk_core::deviation::{due_reminders, notification_deadline, reminded, NOTIFICATION_WINDOW_S};
use normverk_core::org::Role;
use normverk_store::access_review::Review;
use normverk_store::{Store, StoreError};
use std::time::Duration;

/// Where mail goes out and what it says it is from.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (STARTTLS when the server offers it with `?tls=required`), or
    /// `smtps://user:password@host:465`. Holds a password: never logged.
    pub smtp_url: String,
    /// The sender, e.g. `normverk <normverk@helse.no>`.
    pub from: String,
    /// The address people open normverk at, for links in mail (e.g. `https://normverk.helse.no`).
    pub public_url: Option<String>,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: Option<String>,
}

impl Mailer {
    /// A mailer for `config`; an unreadable URL or sender is said without the password.
    pub fn new(config: &MailConfig) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| format!("smtp_url {}: {e}", normverk_store::redact_url(&config.smtp_url)))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = config.from.parse().map_err(|e| format!("smtp_from '{}': {e}", config.from))?;
        let public_url = config.public_url.as_ref().map(|u| u.trim_end_matches('/').to_string());
        Ok(Mailer { transport, from, public_url })
    }

    async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// The reminder about deviation `id` (number `number` in its organisation), `hours` after
/// awareness: subject and body.
pub fn reminder_text(id: i64, number: i64, aware_at: i64, hours: i64, public_url: Option<&str>) -> (String, String) {
    let left = 72 - hours;
    let deadline = in_norway(notification_deadline(aware_at))
        .map(|z| z.strftime("%d.%m.%Y kl. %H:%M").to_string())
        .unwrap_or_default();
    let subject = format!("Avvik {number}: {left} timer igjen til fristen for melding til Datatilsynet");
    let open = match public_url {
        Some(url) => format!("Åpne avviket: {url}/deviations/{id}"),
        None => format!("Logg inn i normverk og åpne avvik {number}."),
    };
    let body = format!(
        "Avvik {number} er vurdert som et brudd på personopplysningssikkerheten som skal meldes til Datatilsynet.\n\
         \n\
         Fristen er {deadline}, 72 timer etter at virksomheten ble kjent med bruddet. Det er {left} timer igjen,\n\
         og meldingen er ikke registrert som sendt. Kommer meldingen etter fristen, må den begrunne forsinkelsen.\n\
         \n\
         {open}\n\
         \n\
         Denne e-posten sier ikke noe om selve avviket; det står i normverk.\n"
    );
    (subject, body)
}

/// The mail about access review `r` at `stage` (`started`, `soon`, `overdue`): subject and
/// body, naming the campaign and its deadline only.
pub fn review_text(
    r: &normverk_store::access_review::Review,
    stage: &str,
    public_url: Option<&str>,
) -> (String, String) {
    let deadline = normverk_core::assessment::Date::parse(&r.deadline)
        .map_or_else(|| r.deadline.clone(), |d| format!("{:02}.{:02}.{}", d.day, d.month, d.year));
    let (subject, lead) = match stage {
        "overdue" => (
            format!("Tilgangskontrollen «{}» er forfalt", r.title),
            format!(
                "Fristen {deadline} er passert, og ikke alle autorisasjoner er gjennomgått ({} av {}).",
                r.answered, r.total
            ),
        ),
        "soon" => (
            format!("Tilgangskontrollen «{}»: frist {deadline}", r.title),
            format!("Fristen er {deadline}. Du har autorisasjoner som ikke er gjennomgått ennå."),
        ),
        _ => (
            format!("Ny tilgangskontroll: «{}»", r.title),
            format!("Du er bedt om å gjennomgå autorisasjonene til personer i dine enheter innen {deadline}."),
        ),
    };
    let open = match public_url {
        Some(url) => format!("Åpne tilgangskontrollen: {url}/authz/reviews/{}", r.id),
        None => "Logg inn i normverk og åpne Tilganger → Tilgangskontroller.".to_string(),
    };
    let body = format!(
        "{lead}\n\nFor hver autorisasjon svarer du behold, trekk tilbake eller endre (Normen 5.2.3).\n\n{open}\n"
    );
    (subject, body)
}

/// One pass over every organisation's open breaches: each reminder that is due and not yet sent
/// is claimed (so one instance sends it) and mailed to the organisation's security leads, data
/// protection officers and top management. A reminder missed while normverk was down is sent
/// once, as the latest one due. Returns how many reminders went out.
pub async fn send_breach_reminders(store: &Store, mailer: &Mailer, now: i64) -> Result<usize, StoreError> {
    let mut sent = 0;
    for breach in store.breaches_for_reminders(now, NOTIFICATION_WINDOW_S).await? {
        let (id, org_id) = (breach.id, breach.org_id);
        let due = due_reminders(breach.aware_at, now, breach.last_reminder);
        let Some(hours) = due.last().copied() else { continue };
        let recipients: Vec<String> = store
            .members(org_id)
            .await?
            .into_iter()
            .filter(|m| !m.disabled)
            .filter(|m| reminded(&m.roles))
            .map(|m| m.email)
            .collect();
        if !store.claim_reminders(org_id, id, &due, recipients.len(), now).await? {
            continue;
        }
        let (subject, body) = reminder_text(id, breach.number, breach.aware_at, hours, mailer.public_url.as_deref());
        let mut delivered = 0;
        for to in &recipients {
            match mailer.send(to, &subject, body.clone()).await {
                Ok(()) => delivered += 1,
                Err(e) => tracing::warn!(deviation = id, hours, error = %e, "a breach reminder was not delivered"),
            }
        }
        tracing::info!(deviation = id, hours, delivered, recipients = recipients.len(), "breach reminder sent");
        sent += 1;
    }
    Ok(sent)
}

/// One pass over every organisation's open campaigns: each manager with lines to answer is told
/// once when a campaign starts and once a week before its deadline; an overdue campaign is
/// escalated once to top management and the security leads. The mail names the campaign and its
/// deadline, never the people in it. Returns how many mails went out.
pub async fn send_review_reminders(store: &Store, mailer: &Mailer, clock: &Clock) -> Result<usize, StoreError> {
    let today = date_in_norway(clock.now());
    let week = date_in_norway(clock.now() + 7 * 86_400);
    let mut sent = 0;
    for org in store.orgs().await? {
        let reviews: Vec<Review> = store.reviews(org.id).await?.into_iter().filter(|r| r.closed_at.is_none()).collect();
        if reviews.is_empty() {
            continue;
        }
        let members = store.members(org.id).await?;
        for r in &reviews {
            let mut to: Vec<(i64, &str)> = Vec::new();
            if r.deadline.as_str() < today.as_str() {
                for m in members.iter().filter(|m| !m.disabled) {
                    if m.roles.iter().any(|x| matches!(x, Role::TopManagement | Role::SecurityLead)) {
                        to.push((m.user_id, "overdue"));
                    }
                }
            } else {
                let stage = if r.deadline.as_str() <= week.as_str() { "soon" } else { "started" };
                for share in store.review_shares(org.id, r.id).await? {
                    let Some(manager) = share.manager_id else { continue };
                    if share.answered < share.total {
                        to.push((manager, stage));
                    }
                }
            }
            for (user, stage) in to {
                let Some(m) = members.iter().find(|m| m.user_id == user && !m.disabled) else { continue };
                if !store.claim_review_reminder(r.id, user, stage).await? {
                    continue;
                }
                let (subject, body) = review_text(r, stage, mailer.public_url.as_deref());
                match mailer.send(&m.email, &subject, body).await {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        tracing::warn!(review = r.id, stage, error = %e, "an access review reminder was not delivered")
                    }
                }
            }
        }
    }
    Ok(sent)
}

/// Sends the breach reminders every minute until `stop` turns true.
pub async fn run_reminders(store: Store, clock: Clock, mailer: Mailer, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = send_breach_reminders(&store, &mailer, clock.now()).await {
            tracing::warn!(error = %e, "breach reminders could not be read");
        }
        if let Err(e) = send_review_reminders(&store, &mailer, &clock).await {
            tracing::warn!(error = %e, "access review reminders could not be read");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.changed() => return,
        }
    }
}
