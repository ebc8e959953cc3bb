//! SCIM 2.0 provisioning as Entra ID and Keycloak do it: users created with the enterprise
//! extension, looked up by filter, patched (Entra's `"False"`, a new department), deactivated
//! and deleted; groups with members added and removed; errors in SCIM's own format; a token of
//! another organisation or without the scope reaching nothing.

use crate::common::{client, spawn_app};
use normverk_core::authz::{Grant, Right, SystemRights};
use normverk_core::org::{Role, Scope};
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::engine_tests;
use serde_json::{json, Value};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn an_iam_provisions_people_and_groups_by_scim(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, manager) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::Manager]).await;
    let (other, _) = app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead]).await;
    let now = app.now();
    let ward = app.store.create_unit(org.id, "Akuttmottak", None, now).await.unwrap();
    let _lab = app.store.create_unit(org.id, "Laboratoriet", None, now).await.unwrap();
    let users = app.store.members(org.id).await.unwrap();
    let manager_id = users.iter().find(|m| m.email == "leder@a.no").unwrap().user_id;
    app.store.set_managed_units(org.id, manager_id, &[ward.id]).await.unwrap();
    drop(manager);
    let token = app.token(&org, &[Scope::ScimProvision]).await;
    let reader = app.token(&org, &[Scope::AuthzRead]).await;
    let theirs = app.token(&other, &[Scope::ScimProvision]).await;
    let c = client();
    let url = |p: &str| app.url(&format!("/scim/v2{p}"));
    let send = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut r = c.request(method, url(path)).bearer_auth(token);
        if let Some(b) = body {
            r = r.header("content-type", "application/scim+json").body(b.to_string());
        }
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, ct, body)
        }
    };
    use reqwest::Method;

    // Authentication and the scope; errors in SCIM's format.
    let anonymous = c.get(url("/Users")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "{engine}");
    let (status, ct, body) = send(Method::GET, "/Users", &reader, None).await;
    assert_eq!((status, ct.as_str()), (403, "application/scim+json"));
    assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(body["status"], "403");

    let kari = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "0a1b2c3d-entra", "userName": "kari.lege@a.no", "active": true,
        "displayName": "Kari Lege", "name": {"givenName": "Kari", "familyName": "Lege", "formatted": "Kari Lege"},
        "emails": [{"primary": true, "type": "work", "value": "kari.lege@a.no"}],
        "title": "Overlege", "preferredLanguage": "nb-NO",
        ENTERPRISE: {"employeeNumber": "1001", "department": "Akuttmottak"},
    });
    let mut unknown = kari.clone();
    unknown["favouriteColour"] = json!("blå");
    let (status, _, body) = send(Method::POST, "/Users", &token, Some(unknown)).await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidSyntax")), "{body}");
    let mut nowhere = kari.clone();
    nowhere[ENTERPRISE]["department"] = json!("Finnes ikke");
    let (status, _, body) = send(Method::POST, "/Users", &token, Some(nowhere)).await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidValue")), "{body}");
    assert!(app.store.people(org.id).await.unwrap().is_empty(), "nothing created");

    let (status, _, created) = send(Method::POST, "/Users", &token, Some(kari.clone())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created[ENTERPRISE]["department"], "Akuttmottak");
    assert_eq!(created["active"], true);
    let (status, _, body) = send(Method::POST, "/Users", &token, Some(kari.clone())).await;
    assert_eq!((status, body["scimType"].as_str()), (409, Some("uniqueness")));

    // Looked up as Entra does before it creates; a bad filter is SCIM's invalidFilter.
    let (_, _, found) = send(Method::GET, "/Users?filter=userName%20eq%20%22KARI.LEGE@a.no%22", &token, None).await;
    assert_eq!((found["totalResults"].as_u64(), found["Resources"][0]["id"].as_str()), (Some(1), Some(id.as_str())));
    let (_, _, none) = send(Method::GET, "/Users?filter=externalId%20eq%20%22other%22", &token, None).await;
    assert_eq!(none["totalResults"], 0);
    let (_, _, co) =
        send(Method::GET, "/Users?filter=displayName%20co%20%22lege%22%20and%20active%20eq%20true", &token, None).await;
    assert_eq!(co["totalResults"], 1);
    for bad in ["userName%20eq", "userName%20xx%20%22a%22", "shoeSize%20eq%20%2242%22"] {
        let (status, _, body) = send(Method::GET, &format!("/Users?filter={bad}"), &token, None).await;
        assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidFilter")), "{bad}: {body}");
    }

    // The person is in the register; the unit's manager grants; a move raises a review.
    let pid: i64 = id.parse().unwrap();
    let person = app.store.person(org.id, pid).await.unwrap();
    assert_eq!(
        (person.name.as_str(), person.employee_id.as_str(), person.unit_id),
        ("Kari Lege", "1001", Some(ward.id))
    );
    let epj = NewSystem::new("EPJ", Criticality::Critical);
    let epj = app.store.create_system(org.id, &epj, now).await.unwrap();
    let by = normverk_app::authz::Granter {
        user_id: manager_id,
        security_lead: false,
        managed_units: vec![ward.id],
        name: "Avdelingsleder".into(),
        roles: "Leder".into(),
    };
    let g = Grant {
        purpose: "Helsehjelp".into(),
        systems: vec![SystemRights { system_id: epj.id, rights: vec![Right::Read], break_glass: false }],
        valid_from: "2026-01-01".into(),
        ..Grant::default()
    };
    app.state.app.authz.grant(org.id, pid, g, &by).await.unwrap();
    let moved = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Laboratoriet"},
        {"op": "replace", "value": {"displayName": "Kari Nordmann"}},
    ]});
    let (status, _, patched) = send(Method::PATCH, &format!("/Users/{id}"), &token, Some(moved)).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (patched[ENTERPRISE]["department"].as_str(), patched["displayName"].as_str()),
        (Some("Laboratoriet"), Some("Kari Nordmann"))
    );
    let reviews = app.store.reviews(org.id).await.unwrap();
    assert_eq!((reviews.len(), reviews[0].kind.as_str()), (1, "transfer"), "a transfer raises a review");
    let bad_patch =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove"}]});
    let (status, _, body) = send(Method::PATCH, &format!("/Users/{id}"), &token, Some(bad_patch)).await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("noTarget")));

    // Another tenant's token reaches nothing.
    let (status, _, _) = send(Method::GET, &format!("/Users/{id}"), &theirs, None).await;
    assert_eq!(status, 404);
    let (_, _, listed) = send(Method::GET, "/Users", &theirs, None).await;
    assert_eq!(listed["totalResults"], 0);
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let (status, _, _) = send(Method::PATCH, &format!("/Users/{id}"), &theirs, Some(off.clone())).await;
    assert_eq!(status, 404);
    assert!(!app.store.authorisations(org.id, Some(pid)).await.unwrap()[0].revoked);

    // Groups with members, patched as Entra does.
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Leger akuttmottak",
                       "externalId": "g-1", "members": [{"value": id}]});
    let (status, _, g) = send(Method::POST, "/Groups", &token, Some(group)).await;
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["members"][0]["display"], "Kari Nordmann");
    let page = lead.get(&format!("/authz/people/{id}")).await.body;
    assert!(
        page.contains("Leger akuttmottak") && page.contains("kari.lege@a.no"),
        "the IAM's groups on the person's page"
    );
    let stranger = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": "999999"}]}]});
    let (status, _, _) = send(Method::PATCH, &format!("/Groups/{gid}"), &token, Some(stranger)).await;
    assert_eq!(status, 400, "no such member");
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": id}]}]});
    let (status, _, g) = send(Method::PATCH, &format!("/Groups/{gid}"), &token, Some(remove)).await;
    assert_eq!((status, g["members"].as_array().map(Vec::len)), (200, Some(0)));
    let (_, _, gl) =
        send(Method::GET, "/Groups?filter=displayName%20eq%20%22leger%20akuttmottak%22", &token, None).await;
    assert_eq!(gl["totalResults"], 1);
    let (status, _, _) = send(Method::GET, &format!("/Groups/{gid}"), &theirs, None).await;
    assert_eq!(status, 404);

    // Deactivated (Entra's string "False"): every authorisation revoked now.
    let (status, _, off_now) = send(Method::PATCH, &format!("/Users/{id}"), &token, Some(off)).await;
    assert_eq!((status, off_now["active"].as_bool()), (200, Some(false)));
    assert!(app.store.authorisations(org.id, Some(pid)).await.unwrap()[0].revoked);
    // Deleted: gone from SCIM, kept in the register.
    let (status, _, _) = send(Method::DELETE, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(status, 204);
    let (status, ct, _) = send(Method::GET, &format!("/Users/{id}"), &token, None).await;
    assert_eq!((status, ct.as_str()), (404, "application/scim+json"));
    assert!(!app.store.person(org.id, pid).await.unwrap().ends_on.is_empty());
    // Each change by the IAM is in the access log, by its token, written with the change.
    app.store.access_index_more(1000).await.unwrap();
    let logged = app.store.access_events(org.id, &Default::default(), 1000, 0).await.unwrap();
    let by_token = |action: &str| {
        logged
            .iter()
            .filter(|e| {
                e.event_json.contains(&format!("\"local:normverk-authz:person-{pid}\""))
                    && e.event_json.contains(&format!(r#""action":"{action}""#))
                    && e.event_json.contains("local:normverk-api:")
            })
            .count()
    };
    assert_eq!(by_token("create"), 1, "provisioned once");
    assert!(by_token("update") >= 2, "deactivated and deleted");
    let (_, _, config) = send(Method::GET, "/ServiceProviderConfig", &token, None).await;
    assert_eq!(config["patch"]["supported"], true);
    let (status, ct, _) = send(Method::GET, "/Nothing", &token, None).await;
    assert_eq!((status, ct.as_str()), (404, "application/scim+json"));
}
engine_tests!(an_iam_provisions_people_and_groups_by_scim);
