//! The record of processing and the asset inventory, over the API and the pages: what is
//! missing, versions, systems, spreadsheet export and import, all or nothing.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::engine_tests;
use serde_json::{json, Value};

fn system(name: &str) -> NewSystem {
    NewSystem::new(name, Criticality::Critical)
}

async fn the_protokoll_over_the_api_names_what_is_missing_and_keeps_versions(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let (other, _) = app.org_with_member("B", "923609016", "b@b.no", &[Role::Admin]).await;
    let epj = app.store.create_system(org.id, &system("EPJ"), 1).await.unwrap();
    let theirs = app.store.create_system(other.id, &system("Deres"), 1).await.unwrap();
    let writer = app.token(&org, &[Scope::OrgWrite, Scope::OrgRead]).await;
    let reader = app.token(&org, &[Scope::OrgRead]).await;
    let c = client();
    let url = app.url("/api/v1/processings");
    let post = |body: Value, token: &str| c.post(&url).bearer_auth(token).json(&body).send();

    let created = post(
        json!({"name": "Pasientbehandling", "role": "controller", "purposes": "Helsehjelp", "legal_basis": "c", "special_categories": "yes", "systems": [epj.id]}),
        &writer,
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201, "{engine}");
    let p: Value = created.json().await.unwrap();
    let id = p["id"].as_i64().unwrap();
    assert_eq!(p["version"], 1);
    assert_eq!(p["systems"], json!([epj.id]));
    let missing: Vec<&str> = p["missing_fields"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(missing.contains(&"special_basis") && missing.contains(&"national_law") && missing.contains(&"dpo"));
    assert!(!missing.contains(&"purposes") && !missing.contains(&"legal_basis"));

    // Refused: the wrong scope, unknown fields (all listed), bad codes, another
    // organisation's system, a name in use. Nothing is stored by any of them.
    assert_eq!(post(json!({"name": "X", "role": "controller"}), &reader).await.unwrap().status(), 403);
    let unknown =
        post(json!({"name": "X", "role": "controller", "colour": "red", "size": "9"}), &writer).await.unwrap();
    assert_eq!(unknown.status(), 422);
    let problem: Value = unknown.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["colour", "size"]);
    let codes = post(json!({"name": "X", "role": "owner", "legal_basis": "g"}), &writer).await.unwrap();
    assert_eq!(codes.status(), 422);
    let cross = post(json!({"name": "X", "role": "controller", "systems": [theirs.id]}), &writer).await.unwrap();
    assert_eq!(cross.status(), 422);
    let problem: Value = cross.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "systems");
    let dup = post(json!({"name": "Pasientbehandling", "role": "controller"}), &writer).await.unwrap();
    assert_eq!(dup.status(), 409);
    assert_eq!(
        c.post(&url)
            .bearer_auth(&writer)
            .body("{")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(app.store.processing_counts(org.id).await.unwrap(), (1, 0), "nothing else stored");

    // A change is a new version; the same body again is not.
    let mut body = p.clone();
    body["national_law"] = json!("pasientjournalloven § 6");
    let put =
        |body: Value| c.put(app.url(&format!("/api/v1/processings/{id}"))).bearer_auth(&writer).json(&body).send();
    let v2: Value = put(body.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(v2["version"], 2);
    let again: Value = put(body).await.unwrap().json().await.unwrap();
    assert_eq!(again["version"], 2);
    let versions: Value = c
        .get(app.url(&format!("/api/v1/processings/{id}/versions")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["record"]["national_law"], "");

    let list: Value = c.get(&url).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let theirs_token = app.token(&other, &[Scope::OrgWrite, Scope::OrgRead]).await;
    let hidden = c.get(app.url(&format!("/api/v1/processings/{id}"))).bearer_auth(&theirs_token).send().await.unwrap();
    assert_eq!(hidden.status(), 404, "another organisation's entry does not exist for them");
}
engine_tests!(the_protokoll_over_the_api_names_what_is_missing_and_keeps_versions);

async fn the_protokoll_pages_edit_export_and_import_all_or_nothing(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, dpo) = app.org_with_member("A", "974760673", "dpo@a.no", &[Role::Dpo]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "e@a.no", &[Role::Employee]).await;
    let epj = app.store.create_system(org.id, &system("EPJ"), 1).await.unwrap();
    app.store.create_system(org.id, &system("Lab"), 1).await.unwrap();

    assert!(!employee.get("/processings").await.body.contains("Ny behandling"));
    assert_eq!(employee.post("/processings", &[("name", "X"), ("role", "controller")]).await.status, 403);
    let bad = dpo.post("/processings", &[("name", ""), ("role", "controller")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    let epj_id = epj.id.to_string();
    let created = dpo
        .post(
            "/processings",
            &[
                ("name", "Lønn <ansatte>"),
                ("role", "controller"),
                ("purposes", "Lønnsutbetaling"),
                ("systems", &epj_id),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let at = created.location().unwrap().to_string();
    let page = employee.get(&at).await;
    assert!(page.body.contains("Lønn &#60;ansatte&#62;"), "escaped: {}", page.body);
    assert!(page.body.contains("Dette mangler av minimumsinnholdet") && page.body.contains("Planlagt sletting"));
    assert!(page.body.contains(&format!("href=\"/systems/{}\"", epj.id)));
    assert!(employee.get(&format!("/systems/{}", epj.id)).await.body.contains("Lønn &#60;ansatte&#62;"));
    let edited = dpo
        .post(
            &at,
            &[
                ("name", "Lønn <ansatte>"),
                ("role", "controller"),
                ("purposes", "Lønn"),
                ("retention", "5 år"),
                ("systems", &epj_id),
            ],
        )
        .await;
    assert_eq!(edited.status, 303);
    let page = employee.get(&at).await;
    assert!(page.body.contains("versjon 2") && page.body.contains("Formål, Planlagt sletting"), "{}", page.body);

    // The XLSX export reads back as it was: nothing changes.
    let (status, headers, xlsx) = dpo.download("/processings/export.xlsx").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let back = dpo.upload("/processings/import", "protokoll.xlsx", xlsx, true).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert!(back.body.contains("0 lagt til") && back.body.contains("1 uendret"), "{}", back.body);

    // A CSV from Excel: Windows-1252, semicolons; a bad row and nothing is saved.
    let good = b"Behandling;Form\xe5l;Behandlingsgrunnlag (art. 6);Systemer\nJournalf\xf8ring;Helsehjelp \x96 pasienter;6 (1) c;\"EPJ; Lab\"\n".to_vec();
    let mut bad = good.clone();
    bad.extend_from_slice(b"Timebok;Avtaler;samtykke;EPJ\njournalf\xf8ring;x;c;\nRegnskap;x;c;Ukjent\n");
    let refused = dpo.upload("/processings/import", "excel.csv", bad, true).await;
    assert_eq!(refused.status, 422);
    for needle in [
        "Behandlingsgrunnlag (art. 6)",
        "Oppgi bokstaven i GDPR art. 6",
        "Det samme som rad 2",
        "Ingen system heter «Ukjent»",
    ] {
        assert!(refused.body.contains(needle), "{needle}: {}", refused.body);
    }
    assert_eq!(app.store.processing_counts(org.id).await.unwrap().0, 1, "nothing half-imported");
    let wrong = dpo.upload("/processings/import", "x.csv", b"Navn;Farge\nA;B\n".to_vec(), true).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("Farge") && wrong.body.contains("Behandling"));
    let ok = dpo.upload("/processings/import", "excel.csv", good, true).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let (_, _, csv) = dpo.download("/processings/export.csv").await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("Journalføring;Behandlingsansvarlig;;;;;Helsehjelp – pasienter;6 (1) c – rettslig forpliktelse"),
        "{csv}"
    );
    assert!(csv.contains("EPJ; Lab"));
    assert!(employee.upload("/processings/import", "excel.csv", b"Behandling\nA\n".to_vec(), true).await.status == 403);
    assert_eq!(
        dpo.upload("/processings/import", "excel.csv", b"Behandling\nA\n".to_vec(), false).await.status,
        403,
        "CSRF"
    );
}
engine_tests!(the_protokoll_pages_edit_export_and_import_all_or_nothing);

async fn assets_are_kept_and_imported_from_an_mdm_export(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "e@a.no", &[Role::Employee]).await;
    let writer = app.token(&org, &[Scope::OrgWrite, Scope::OrgRead]).await;
    let c = client();
    let url = app.url("/api/v1/assets");
    let post = |body: Value| c.post(&url).bearer_auth(&writer).json(&body).send();
    let created = post(json!({"identifier": "SRV-01", "kind": "server", "os": "Windows Server", "os_version": "2022"}))
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{engine}");
    let srv: Value = created.json().await.unwrap();
    assert_eq!(
        post(json!({"identifier": "srv-01", "kind": "server"})).await.unwrap().status(),
        201,
        "{engine}: identifiers differ in case only by import"
    );
    assert_eq!(post(json!({"identifier": "SRV-01", "kind": "server"})).await.unwrap().status(), 409);
    assert_eq!(post(json!({"identifier": "X", "kind": "toaster"})).await.unwrap().status(), 422);
    assert_eq!(post(json!({"identifier": "X", "kind": "app", "colour": "red"})).await.unwrap().status(), 422);

    // An Intune export in Windows-1252, all phones: the import updates by identifier.
    let mdm = b"Device name;OS;OS version;Primary user UPN;Manufacturer;Model\nIPHONE-01;iOS;17.5;kari@a.no;Apple;iPhone 14\nIPHONE-02;iOS;17.4;p\xe5l@a.no;Apple;iPhone 13\n".to_vec();
    let import = |body: Vec<u8>, kind: &str| {
        c.post(app.url(&format!("/api/v1/assets/import?kind={kind}"))).bearer_auth(&writer).body(body).send()
    };
    let r = import(mdm.clone(), "phone").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"created": 2, "updated": 0}));
    let r = import(mdm, "phone").await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"created": 0, "updated": 2}));
    let bad = import(b"Device name;OS\nA;iOS\n;Android\nA;iOS\n".to_vec(), "phone").await.unwrap();
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["row 3: Device name", "row 4: Device name"], "{problem}");
    let no_kind = import(b"Device name;OS\nA;iOS\n".to_vec(), "").await.unwrap();
    assert_eq!(no_kind.status(), 422, "no kind column and no kind chosen");
    let empty = import(Vec::new(), "phone").await.unwrap();
    let problem: Value = empty.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
    let phones: Value =
        c.get(format!("{url}?kind=phone&q=p%C3%A5l")).bearer_auth(&writer).send().await.unwrap().json().await.unwrap();
    assert_eq!(phones.as_array().unwrap().len(), 1);
    assert_eq!(phones[0]["responsible"], "pål@a.no");

    // The pages: filter, edit, and the employee only reads.
    let list = employee.get("/assets?kind=phone").await;
    assert!(list.body.contains("IPHONE-02") && !list.body.contains("SRV-01"));
    let escaped = employee.get("/assets?q=%3Cscript%3E%25").await;
    assert_eq!(escaped.status, 200);
    assert!(escaped.body.contains("&#60;script&#62;%") && !escaped.body.contains("<script>%"));
    let id = srv["id"].as_i64().unwrap();
    assert_eq!(
        employee.post(&format!("/assets/{id}"), &[("identifier", "SRV-01"), ("kind", "server")]).await.status,
        403
    );
    let saved = admin
        .post(&format!("/assets/{id}"), &[("identifier", "SRV-01"), ("kind", "server"), ("location", "Rom 101")])
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(app.store.asset(org.id, id).await.unwrap().location, "Rom 101");
    let bad = admin.post(&format!("/assets/{id}"), &[("identifier", ""), ("kind", "server")]).await;
    assert_eq!(bad.status, 422);
    let page = admin
        .upload("/assets/import", "inventar.csv", b"Identifikator;Type\nPC-1;pc\nPC-2;kaffemaskin\n".to_vec(), true)
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("«kaffemaskin» er ikke blant verdiene: datamaskin, telefon"), "{}", page.body);
    let (_, _, csv) = employee.download("/assets/export.csv?kind=phone").await;
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // Retired: removed, by those who keep the inventory only.
    assert_eq!(employee.post(&format!("/assets/{id}/delete"), &[]).await.status, 403);
    assert_eq!(admin.post(&format!("/assets/{id}/delete"), &[]).await.status, 303);
    assert!(app.store.asset(org.id, id).await.is_err());
    let gone = c.delete(format!("{url}/{id}")).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(gone.status(), 404);
}
engine_tests!(assets_are_kept_and_imported_from_an_mdm_export);
