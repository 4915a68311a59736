//! Steady-state allocation check: once a flow's buffers are warm, parsing more pipelined HTTP
//! transactions and DNS messages allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use sekimori_app::{AppConfig, AppLayer, Direction, FlowCtx, NullSink};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn flow(proto: u8, dport: u16) -> FlowCtx<'static> {
    FlowCtx {
        id: 1,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        dport,
        proto,
        vlan: &[],
        ts: Timestamp(0),
    }
}

#[test]
fn warm_flows_allocate_nothing() {
    // HTTP: identical request/response pairs, one pair per segment pair.
    let req = b"GET /index.html?x=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n";
    let res = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\n\r\n0123456789";
    let f = flow(6, 80);
    let mut layer = AppLayer::new(AppConfig::default()).unwrap();
    let mut slot = None;
    let mut sink = NullSink;
    for _ in 0..100 {
        layer.on_stream_data(&f, &mut slot, Direction::ToServer, req, &mut sink);
        layer.on_stream_data(&f, &mut slot, Direction::ToClient, res, &mut sink);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..1000 {
        layer.on_stream_data(&f, &mut slot, Direction::ToServer, req, &mut sink);
        layer.on_stream_data(&f, &mut slot, Direction::ToClient, res, &mut sink);
    }
    let http_allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(layer.stats().http.txs, 1100);

    // DNS over UDP.
    let mut q = vec![
        0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'w', b'w', b'w', 7,
    ];
    q.extend_from_slice(b"example\x03com\x00\x00\x01\x00\x01");
    let mut r = q.clone();
    r[2] = 0x81;
    r[7] = 1;
    r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]);
    let f = flow(17, 53);
    let mut slot = None;
    for _ in 0..10 {
        layer.on_udp(&f, &mut slot, Direction::ToServer, &q, &mut sink);
        layer.on_udp(&f, &mut slot, Direction::ToClient, &r, &mut sink);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..1000 {
        layer.on_udp(&f, &mut slot, Direction::ToServer, &q, &mut sink);
        layer.on_udp(&f, &mut slot, Direction::ToClient, &r, &mut sink);
    }
    let dns_allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(layer.stats().dns.paired, 1010);
    assert_eq!(
        (http_allocs, dns_allocs),
        (0, 0),
        "allocations in steady state (http, dns)"
    );
}
