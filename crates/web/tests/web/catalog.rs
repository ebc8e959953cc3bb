//! The Normen catalogue in the UI and the API.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};

#[tokio::test]
async fn people_browse_search_and_read_requirements() {
    let app = spawn_app("sqlite").await;
    let (_, b) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Employee]).await;
    assert_eq!(app.browser().get("/catalog").await.location(), Some("/login"), "signed-in people only");

    let all = b.get("/catalog").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains("502 krav"), "the whole catalogue is listed");
    assert!(all.body.contains("5.2.1 Autorisering"));

    let search = b.get("/catalog?q=tilgang").await;
    assert!(
        search.body.contains("tilgangsstyring") || search.body.contains("Tilgangsstyring"),
        "tilgang finds tilgangsstyring"
    );
    let filtered = b.get("/catalog?q=&chapter=5&obligation=should").await;
    assert!(filtered.body.contains("1 krav"), "one 'bør' in chapter 5");
    let hostile = b.get("/catalog?q=%3Cscript%3Ealert(1)%3C/script%3E&obligation=nonsense").await;
    assert_eq!(hostile.status, 200);
    assert!(!hostile.body.contains("<script>alert"), "the query is escaped");
    assert!(hostile.body.contains("0 krav"));

    let req = b.get("/catalog/requirements/5.2.1.1-01").await;
    assert_eq!(req.status, 200);
    assert!(
        req.body.contains("href=\"/catalog/glossary#term-autorisasjonsregister\""),
        "defined terms link to their definitions"
    );
    assert!(req.body.contains("Faktaark") && req.body.contains("nr. 47"));
    assert!(req.body.contains("5.2.1.1 Autorisasjonsregister"), "its place in the chapter");
    assert!(req.body.contains("Direktoratet for e-helse"), "the source is named");
    assert_eq!(b.get("/catalog/requirements/9.9-99").await.status, 404);
    assert_eq!(b.get("/catalog/requirements/..%2F..%2Fetc").await.status, 404);

    let glossary = b.get("/catalog/glossary").await;
    assert!(glossary.body.contains("id=\"term-autorisasjonsregister\""));
    assert!(glossary.body.contains("id=\"term-tjenstlig-behov\""));
}

#[tokio::test]
async fn the_catalogue_api_searches_and_explains_bad_filters() {
    let app = spawn_app("sqlite").await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let token = app.token(&org, &[Scope::OrgRead]).await;
    let get = |path: &str| client().get(app.url(path)).bearer_auth(&token).send();

    let meta: serde_json::Value = get("/api/v1/catalog").await.unwrap().json().await.unwrap();
    assert_eq!(meta["version"], "5.3");
    assert_eq!(meta["requirement_count"], 502);
    let found: Vec<serde_json::Value> =
        get("/api/v1/catalog/requirements?q=logg&chapter=5&obligation=shall").await.unwrap().json().await.unwrap();
    assert!(
        !found.is_empty()
            && found.iter().all(|r| r["obligation"] == "shall" && r["section"].as_str().unwrap().starts_with('5'))
    );
    let one: serde_json::Value = get("/api/v1/catalog/requirements/5.8.1-08").await.unwrap().json().await.unwrap();
    assert!(one["text"].as_str().unwrap().contains("72 timer"));
    let bad = get("/api/v1/catalog/requirements?obligation=must&tag=speed").await.unwrap();
    assert_eq!(bad.status(), 422);
    let problem: serde_json::Value = bad.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["obligation", "tag"]);
    assert_eq!(get("/api/v1/catalog/requirements/none").await.unwrap().status(), 404);
}
