use super::*;
use crate::link::Report;

/// A listener on a free port whose deliveries the test answers with `ack`.
async fn listener(ack: Option<Ack>) -> (String, mpsc::Receiver<Incoming>, CancellationToken) {
    listener_with(ack, None).await
}

async fn listener_with(ack: Option<Ack>, token: Option<&str>) -> (String, mpsc::Receiver<Incoming>, CancellationToken) {
    let (tx, mut rx) = mpsc::channel::<Delivered>(8);
    let (seen_tx, seen) = mpsc::channel(8);
    tokio::spawn(async move {
        while let Some(d) = rx.recv().await {
            let _ = seen_tx.send(d.incoming).await;
            if let Some(a) = ack {
                let _ = d.ack.send(a);
            } // else: dropped unanswered
        }
    });
    let callbacks = Arc::new(Callbacks {
        dlr: DlrCallback::default(),
        mo: MoCallback::default(),
        token: token.map(str::to_owned),
        inbound: tx,
        connection: "c".into(),
        rate: rate_limiter(1000),
        max_connections: 100,
    });
    let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", socket.local_addr().unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(serve(socket, callbacks, None, stop.clone()));
    (base, seen, stop)
}

#[tokio::test]
async fn a_configured_token_is_required() {
    let (base, mut seen, stop) = listener_with(Some(Ack::Recorded), Some("s3cret")).await;
    let client = reqwest::Client::new();
    let body = serde_json::json!({"id": "m1", "status": "delivered"});
    let none = client.post(format!("{base}/dlr")).json(&body).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = client.post(format!("{base}/dlr")).bearer_auth("s3creT").json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let bearer = client.post(format!("{base}/dlr")).bearer_auth("s3cret").json(&body).send().await.unwrap();
    assert_eq!(bearer.status(), 200);
    let query = client.post(format!("{base}/dlr?token=s3cret")).json(&body).send().await.unwrap();
    assert_eq!(query.status(), 200);
    assert!(seen.recv().await.is_some() && seen.recv().await.is_some());
    assert!(seen.try_recv().is_err(), "the refused callbacks were not taken");
    stop.cancel();
}

#[tokio::test]
async fn callers_over_the_rate_get_429_with_retry_after() {
    let (tx, mut rx) = mpsc::channel::<Delivered>(8);
    tokio::spawn(async move {
        while let Some(d) = rx.recv().await {
            let _ = d.ack.send(Ack::Recorded);
        }
    });
    let callbacks = Arc::new(Callbacks {
        dlr: DlrCallback::default(),
        mo: MoCallback::default(),
        token: None,
        inbound: tx,
        connection: "rate-test".into(),
        rate: rate_limiter(1),
        max_connections: 10,
    });
    let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/dlr", socket.local_addr().unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(serve(socket, callbacks, None, stop.clone()));
    let client = reqwest::Client::new();
    let body = serde_json::json!({"id": "m1", "status": "delivered"});
    assert_eq!(client.post(&url).json(&body).send().await.unwrap().status(), 200);
    let over = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(over.status(), 429);
    assert_eq!(over.headers().get("retry-after").unwrap(), "1");
    assert_eq!(counters::callbacks_refused("rate-test", "rate").get(), 1);
    stop.cancel();
}

#[tokio::test]
async fn recorded_callbacks_get_200() {
    let (base, mut seen, stop) = listener(Some(Ack::Recorded)).await;
    let client = reqwest::Client::new();
    let r = client.post(format!("{base}/dlr")).json(&serde_json::json!({"id": "m1", "status": "delivered"}));
    let response = r.send().await.unwrap();
    assert_eq!(response.status(), 200);
    match seen.recv().await.unwrap() {
        Incoming::Report(Report { message_id, state, is_final: true, .. }) => {
            assert_eq!((message_id.as_str(), state.stat()), ("m1", "DELIVRD"))
        }
        other => panic!("{other:?}"),
    }
    let response = client.get(format!("{base}/mo?from=491&to=12345&text=hi%21")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    match seen.recv().await.unwrap() {
        Incoming::Mo(unit) => assert_eq!((unit.from.as_str(), unit.text.as_deref()), ("491", Some("hi!"))),
        other => panic!("{other:?}"),
    }
    stop.cancel();
}

#[tokio::test]
async fn unrecorded_callbacks_get_503() {
    let (base, mut seen, stop) = listener(None).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/mo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("from=1&to=2&text=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503, "the provider must call again");
    assert!(seen.recv().await.is_some());
    stop.cancel();
}

#[tokio::test]
async fn malformed_callbacks_get_400_and_the_listener_stays_up() {
    let (base, mut seen, stop) = listener(Some(Ack::Recorded)).await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: &'static str| {
        client.post(format!("{base}{path}")).header("content-type", "application/json").body(body).send()
    };
    let response = post("/dlr", "{\"id\": ").await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("not valid JSON"));
    let response = post("/dlr", r#"{"status":"delivered"}"#).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.text().await.unwrap(), "missing the message id (field `id`)\n");
    assert_eq!(post("/elsewhere", "{}").await.unwrap().status(), 404);
    let big = client.post(format!("{base}/mo")).body(vec![b'a'; MAX_BODY + 1]).send().await.unwrap();
    assert_eq!(big.status(), 413);
    let put = client.put(format!("{base}/dlr")).body("x").send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert!(seen.try_recv().is_err(), "nothing malformed reached the sender");
    assert_eq!(post("/dlr", r#"{"id":"ok","status":"delivered"}"#).await.unwrap().status(), 200);
    stop.cancel();
}
