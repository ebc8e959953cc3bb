//! Every documented operation needs exactly the scope its description names: walked from the
//! served document, so a new operation is covered the moment it is added.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};
use normverk_store::engine_tests;
use serde_json::Value;
use std::str::FromStr;

async fn every_operation_needs_exactly_its_scope(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let doc: Value = client().get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let c = client();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let security = &op["security"];
            let scopes: Vec<&str> = security
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} states no security"))
                .iter()
                .filter_map(|r| r.get("bearer"))
                .flat_map(|s| s.as_array().unwrap().iter().map(|s| s.as_str().unwrap()))
                .collect();
            let url = app.url(&path.replace(['{', '}'], "").replace("round_id", "1").replace("req_id", "x"));
            let url = ["index", "id", "unit_id", "user_id"].iter().fold(url, |u, p| u.replace(p, "1"));
            let send = |token: Option<String>| {
                let mut r = c.request(method.to_uppercase().parse().unwrap(), &url);
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                if method == "post" || method == "put" {
                    r = r.json(&serde_json::json!({}));
                }
                async move { r.send().await.unwrap().status().as_u16() }
            };
            match scopes.as_slice() {
                [] => {
                    assert!(op["description"].as_str().is_none_or(|d| !d.contains("scope")), "{method} {path}");
                    let status = send(None).await;
                    assert!(status != 401 && status != 403, "{method} {path} is public: {status}");
                }
                [needed] => {
                    let needed = Scope::from_str(needed).unwrap();
                    assert!(
                        op["description"].as_str().unwrap_or("").contains(&format!("`{needed}`")),
                        "{method} {path}"
                    );
                    assert_eq!(send(None).await, 401, "{method} {path} without a token");
                    let others: Vec<Scope> = Scope::ALL.iter().copied().filter(|s| *s != needed).collect();
                    let lacking = app.token(&org, &others).await;
                    assert_eq!(send(Some(lacking)).await, 403, "{method} {path} with every scope but {needed}");
                    let only = app.token(&org, &[needed]).await;
                    let status = send(Some(only)).await;
                    assert!(status != 401 && status != 403, "{method} {path} with only {needed}: {status}");
                }
                more => panic!("{method} {path} names several scopes: {more:?}"),
            }
            checked += 1;
        }
    }
    let documented = normverk_web::route_table().iter().filter(|r| r.path.starts_with("/api/v1/")).count();
    assert_eq!(checked, documented, "every API route of the table is documented and checked");
}
engine_tests!(every_operation_needs_exactly_its_scope);
