//! Packet direction within a flow.

/// Which way a packet travels relative to the flow's initiator, named as Suricata names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (the flow's `src`) to the server (`dest`).
    ToServer,
    /// From the server back to the client.
    ToClient,
}

impl Direction {
    /// The opposite direction.
    pub const fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
    /// 0 for to_server, 1 for to_client: an index into per-direction arrays.
    pub const fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
    /// Suricata's spelling: `to_server` / `to_client`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::ToServer => "to_server",
            Direction::ToClient => "to_client",
        }
    }
}
