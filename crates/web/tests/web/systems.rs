//! The systems register: criticality inherited along dependencies, over the API and the pages.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};
use normverk_core::system::Criticality;
use normverk_store::engine_tests;
use serde_json::{json, Value};

async fn a_critical_systems_dependencies_inherit_its_class_with_the_path(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "e@a.no", &[Role::Employee]).await;
    let (other, _) = app.org_with_member("B", "923609016", "b@b.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::OrgWrite]).await;
    let reader = app.token(&org, &[Scope::OrgRead]).await;
    let c = client();
    let url = app.url("/api/v1/systems");
    let create = |name: &str, class: &str| {
        let (c, url, token) = (client(), url.clone(), writer.clone());
        let body = json!({"name": name, "criticality": class, "supplier": "DIPS AS"});
        async move {
            let r = c.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
        }
    };
    let epj = create("EPJ", "critical").await;
    let integration = create("Integrasjonsmotor", "tolerable").await;
    let database = create("Databaseserver", "not_prioritised").await;
    assert_eq!(
        c.post(&url)
            .bearer_auth(&reader)
            .json(&json!({"name": "X", "criticality": "critical"}))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let dup =
        c.post(&url).bearer_auth(&writer).json(&json!({"name": "EPJ", "criticality": "serious"})).send().await.unwrap();
    assert_eq!(dup.status(), 409, "{engine}");
    let bad =
        c.post(&url).bearer_auth(&writer).json(&json!({"name": "Y", "criticality": "medium"})).send().await.unwrap();
    assert_eq!(bad.status(), 422);

    let dep = |from: i64, to: i64| {
        let (c, url, token) = (client(), app.url(&format!("/api/v1/systems/{from}/dependencies")), writer.clone());
        async move { c.post(&url).bearer_auth(&token).json(&json!({"depends_on": to})).send().await.unwrap() }
    };
    assert_eq!(dep(epj, integration).await.status(), 200);
    assert_eq!(dep(integration, database).await.status(), 200);
    assert_eq!(dep(database, epj).await.status(), 200, "cycles are allowed");
    assert_eq!(dep(epj, epj).await.status(), 422, "not on itself");
    let theirs = app
        .store
        .create_system(
            other.id,
            &normverk_core::system::NewSystem::new("Deres", normverk_core::system::Criticality::Critical),
            1,
        )
        .await
        .unwrap();
    let cross = dep(epj, theirs.id).await;
    assert_eq!(cross.status(), 422, "not on another organisation's system");
    assert!(app.store.system_dependencies(other.id).await.unwrap().is_empty());

    let got: Value = c
        .get(app.url(&format!("/api/v1/systems/{database}")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["effective_criticality"], "critical");
    let path: Vec<&str> =
        got["criticality_inherited_from"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(path, vec!["EPJ", "Integrasjonsmotor"]);

    // The pages: the register shows the inherited class with its path; the map is drawn.
    let list = employee.get("/systems").await;
    assert!(list.body.contains("arvet fra EPJ → Integrasjonsmotor"), "{}", list.body);
    assert!(!list.body.contains("Registrer system"), "employees do not register systems");
    let page = admin.get(&format!("/systems/{database}")).await;
    assert!(page.body.contains("<svg class=\"chart map\""));
    assert_eq!(employee.post(&format!("/systems/{epj}/dependencies/{integration}/remove"), &[]).await.status, 403);
    assert_eq!(admin.post(&format!("/systems/{epj}/dependencies/{integration}/remove"), &[]).await.status, 303);
    // EPJ no longer depends on the integration engine: the engine is back to its own class,
    // and the database inherits only that.
    let get = |id: i64| {
        let (c, url, token) = (client(), app.url(&format!("/api/v1/systems/{id}")), reader.clone());
        async move { c.get(&url).bearer_auth(&token).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(get(integration).await["effective_criticality"], "tolerable");
    let got = get(database).await;
    assert_eq!(got["effective_criticality"], "tolerable");
    assert_eq!(got["criticality_inherited_from"][0]["name"], "Integrasjonsmotor");
    let form = admin.post("/systems", &[("name", "Skriver"), ("criticality", "tolerable")]).await;
    assert_eq!(form.status, 303);
    let bad = admin.post("/systems", &[("name", ""), ("criticality", "tolerable")]).await;
    assert_eq!(bad.status, 422);
    // The register pages by 100, by name.
    for i in 0..100 {
        let s = normverk_core::system::NewSystem::new(
            format!("Z-system {i:03}"),
            normverk_core::system::Criticality::Tolerable,
        );
        app.store.create_system(org.id, &s, 1).await.unwrap();
    }
    let first = employee.get("/systems").await;
    assert!(first.body.contains("EPJ") && first.body.contains("rel=\"next\"") && !first.body.contains("Z-system 099"));
    // Emergency procedures: added, overdue until tested, tested.
    let (_, top) = app.org_with_member("A", "974760673", "topp@a.no", &[Role::TopManagement]).await;
    assert_eq!(
        admin
            .post(&format!("/systems/{epj}/procedures"), &[("title", "Papirjournal"), ("mode", "without_system")])
            .await
            .status,
        303
    );
    assert_eq!(
        admin.post(&format!("/systems/{epj}/procedures"), &[("title", ""), ("mode", "without_system")]).await.status,
        422
    );
    let procedure = app.store.procedures(org.id, Some(epj)).await.unwrap()[0].id;
    app.store
        .execute_raw_for_test(&format!("UPDATE emergency_procedures SET created_at = 0 WHERE id = {procedure}"))
        .await
        .unwrap();
    assert!(employee.get(&format!("/systems/{epj}")).await.body.contains("Årlig test mangler"));
    assert!(employee.get("/systems").await.body.contains("1 beredskapsrutiner er ikke testet"));
    let future = admin
        .post(&format!("/systems/{epj}/procedures/{procedure}/tests"), &[("tested_at", "2099-01-01"), ("result", "OK")])
        .await;
    assert_eq!(future.status, 422);
    let tested = admin
        .post(
            &format!("/systems/{epj}/procedures/{procedure}/tests"),
            &[("tested_at", "2026-11-20"), ("result", "Fungerte, 40 min")],
        )
        .await;
    assert_eq!(tested.status, 303);
    let page = employee.get(&format!("/systems/{epj}")).await;
    assert!(page.body.contains("Fungerte, 40 min") && !page.body.contains("Årlig test mangler"));
    assert!(page.body.contains("<title>EPJ – normverk</title>"), "the page title is the system's name alone");
    assert_eq!(
        employee
            .post(&format!("/systems/{epj}/procedures"), &[("title", "X"), ("mode", "without_system")])
            .await
            .status,
        403
    );
    // Maximum downtime per class: set by top management, all or nothing.
    assert_eq!(admin.post("/systems/downtime", &[("hours_critical", "4")]).await.status, 403);
    let bad = top.post("/systems/downtime", &[("hours_critical", "4"), ("hours_serious", "-2")]).await;
    assert_eq!(bad.status, 422);
    assert!(app.store.downtimes(org.id).await.unwrap().is_empty(), "nothing half-saved");
    assert_eq!(top.post("/systems/downtime", &[("hours_critical", "4"), ("hours_serious", "24")]).await.status, 303);
    let d: Vec<(Criticality, i64)> =
        app.store.downtimes(org.id).await.unwrap().into_iter().map(|d| (d.criticality, d.max_downtime_hours)).collect();
    assert_eq!(d, vec![(Criticality::Critical, 4), (Criticality::Serious, 24)]);
    let second = employee.get("/systems?page=2").await;
    assert!(second.body.contains("Z-system 099") && !second.body.contains(">EPJ<"));
}
engine_tests!(a_critical_systems_dependencies_inherit_its_class_with_the_path);

async fn the_register_is_edited_exported_and_imported_all_or_nothing(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "e@a.no", &[Role::Employee]).await;
    let good = "System;Kritikalitet;Leverandør;Avhenger av\nEPJ;Kritisk;DIPS AS;Integrasjon\nIntegrasjon;tolerable;;Database\nDatabase;Ikke prioritert;;\n";
    let bad =
        format!("{good}Lab;Middels;;\nRøntgen;Alvorlig;;\"Røntgen; PACS\"\nSkriver;Tålelig;;Lab;PACS\nepj;Kritisk;;\n");
    let refused = admin.upload("/systems/import", "systemer.csv", bad.into_bytes(), true).await;
    assert_eq!(refused.status, 422, "{engine}");
    for needle in [
        "«Middels» er ikke blant verdiene: Kritisk, Alvorlig",
        "Flere celler enn kolonner",
        "Et system kan ikke avhenge av seg selv",
        "Ingen system heter «PACS»",
        "Det samme som rad 2",
    ] {
        assert!(refused.body.contains(needle), "{needle}: {}", refused.body);
    }
    assert!(app.store.systems(org.id).await.unwrap().is_empty(), "nothing half-imported");
    assert_eq!(employee.upload("/systems/import", "s.csv", good.as_bytes().to_vec(), true).await.status, 403);
    let ok = admin.upload("/systems/import", "systemer.csv", good.as_bytes().to_vec(), true).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("3 lagt til"));
    let list = employee.get("/systems").await;
    assert!(list.body.contains("arvet fra EPJ → Integrasjon"), "{}", list.body);

    // Edit: a new supplier and class; a taken name is refused and the entry kept.
    let db = app.store.systems(org.id).await.unwrap().into_iter().find(|s| s.name == "Database").unwrap();
    let edit = |name: &'static str| {
        let path = format!("/systems/{}", db.id);
        let admin = &admin;
        async move { admin.post(&path, &[("name", name), ("criticality", "serious"), ("supplier", "Oracle")]).await }
    };
    assert_eq!(edit("Databaseserver").await.status, 303);
    let taken = edit("EPJ").await;
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("value=\"EPJ\""), "what was entered is kept");
    assert_eq!(
        employee.post(&format!("/systems/{}", db.id), &[("name", "X"), ("criticality", "serious")]).await.status,
        403
    );
    let saved = app.store.system(org.id, db.id).await.unwrap();
    assert_eq!(
        (saved.name.as_str(), saved.criticality.as_str(), saved.supplier.as_str()),
        ("Databaseserver", "serious", "Oracle")
    );

    // The export reads back: everything matched by name, nothing added; a dependency
    // removed in the file is removed.
    let (_, _, xlsx) = admin.download("/systems/export.xlsx").await;
    let table = normverk_web::read_table_for_tests("systemer.xlsx", &xlsx);
    assert_eq!(table[1], vec!["Databaseserver", "Alvorlig", "", "Oracle", "", "", "", ""]);
    let back = admin.upload("/systems/import", "systemer.xlsx", xlsx, true).await;
    assert!(back.body.contains("0 lagt til") && back.body.contains("3 oppdatert"), "{}", back.body);
    let (_, _, csv) = admin.download("/systems/export.csv").await;
    let csv = String::from_utf8(csv).unwrap().replace(";Integrasjon\r\n", ";\r\n").replace(";Integrasjon\n", ";\n");
    assert_eq!(admin.upload("/systems/import", "s.csv", csv.into_bytes(), true).await.status, 200);
    let list = employee.get("/systems").await;
    assert!(!list.body.contains("arvet fra EPJ"), "EPJ no longer depends on anything: {}", list.body);
}
engine_tests!(the_register_is_edited_exported_and_imported_all_or_nothing);
