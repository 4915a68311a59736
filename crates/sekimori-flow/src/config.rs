//! Flow table configuration: timeouts per protocol and state, memory cap, emergency recovery.
//!
//! A plain struct with no serde: the engine maps its TOML to it. The defaults are the values
//! of Suricata 7's packaged `suricata.yaml`. [`FlowConfig::suricata_builtin`] gives the
//! engine's built-in values, which apply when a yaml has no `flow-timeouts` section.

use crate::error::FlowError;
use crate::flow::FlowState;
use crate::key::proto;

/// Timeouts in seconds for the three flow states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateTimeouts {
    /// Flow has not seen both directions (UDP/ICMP) or is not established (TCP).
    pub new: u32,
    /// Established.
    pub established: u32,
    /// Closed (TCP only in practice).
    pub closed: u32,
}

impl StateTimeouts {
    /// The timeout for `state`.
    pub const fn get(&self, state: FlowState) -> u32 {
        match state {
            FlowState::New => self.new,
            FlowState::Established => self.established,
            FlowState::Closed => self.closed,
        }
    }
}

/// Normal and emergency-mode timeouts of one protocol class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtoTimeouts {
    /// Normal timeouts.
    pub normal: StateTimeouts,
    /// Timeouts while the table is in emergency mode (memory cap reached).
    pub emergency: StateTimeouts,
}

/// Timeouts of the four protocol classes Suricata has (`flow-timeouts` in `suricata.yaml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowTimeouts {
    /// Every protocol not listed below, **ICMPv6 included** (Suricata maps only ICMPv4 to `icmp`).
    pub default: ProtoTimeouts,
    /// TCP.
    pub tcp: ProtoTimeouts,
    /// UDP.
    pub udp: ProtoTimeouts,
    /// ICMPv4.
    pub icmp: ProtoTimeouts,
}

/// The protocol class that picks a row of [`FlowTimeouts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtoClass {
    /// Anything else (ICMPv6, SCTP, ESP, ...).
    Default = 0,
    /// TCP.
    Tcp = 1,
    /// UDP.
    Udp = 2,
    /// ICMPv4.
    Icmp = 3,
}

impl ProtoClass {
    /// The class of an IP protocol number, as Suricata's `FlowGetProtoMapping` assigns it.
    pub const fn of(ip_proto: u8) -> ProtoClass {
        match ip_proto {
            proto::TCP => ProtoClass::Tcp,
            proto::UDP => ProtoClass::Udp,
            proto::ICMP => ProtoClass::Icmp,
            _ => ProtoClass::Default,
        }
    }
}

impl FlowTimeouts {
    /// The packaged `suricata.yaml` values of Suricata 7.
    pub const fn suricata_yaml() -> Self {
        let dflt = ProtoTimeouts {
            normal: StateTimeouts {
                new: 30,
                established: 300,
                closed: 0,
            },
            emergency: StateTimeouts {
                new: 10,
                established: 100,
                closed: 0,
            },
        };
        FlowTimeouts {
            default: dflt,
            tcp: ProtoTimeouts {
                normal: StateTimeouts {
                    new: 60,
                    established: 600,
                    closed: 60,
                },
                emergency: StateTimeouts {
                    new: 5,
                    established: 100,
                    closed: 10,
                },
            },
            udp: dflt,
            icmp: dflt,
        }
    }
    /// Suricata 7's compiled-in values (used when the yaml has no `flow-timeouts`).
    pub const fn suricata_builtin() -> Self {
        let mut t = Self::suricata_yaml();
        t.tcp = ProtoTimeouts {
            normal: StateTimeouts {
                new: 30,
                established: 300,
                closed: 10,
            },
            emergency: StateTimeouts {
                new: 10,
                established: 100,
                closed: 5,
            },
        };
        t
    }
    /// The row for a protocol class.
    pub const fn class(&self, class: ProtoClass) -> &ProtoTimeouts {
        match class {
            ProtoClass::Default => &self.default,
            ProtoClass::Tcp => &self.tcp,
            ProtoClass::Udp => &self.udp,
            ProtoClass::Icmp => &self.icmp,
        }
    }
    /// Timeout in seconds for a class and state, normal or emergency.
    pub const fn get(&self, class: ProtoClass, state: FlowState, emergency: bool) -> u32 {
        let row = self.class(class);
        if emergency {
            row.emergency.get(state)
        } else {
            row.normal.get(state)
        }
    }
    /// Applies Suricata's rule: an emergency timeout above its normal value becomes normal / 10.
    pub fn clamp_emergency(&mut self) {
        for row in [
            &mut self.default,
            &mut self.tcp,
            &mut self.udp,
            &mut self.icmp,
        ] {
            let n = row.normal;
            let e = &mut row.emergency;
            if e.new > n.new {
                e.new = n.new / 10;
            }
            if e.established > n.established {
                e.established = n.established / 10;
            }
            if e.closed > n.closed {
                e.closed = n.closed / 10;
            }
        }
    }
}

impl Default for FlowTimeouts {
    fn default() -> Self {
        Self::suricata_yaml()
    }
}

/// Flow table settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowConfig {
    /// Timeouts per protocol class and state.
    pub timeouts: FlowTimeouts,
    /// Maximum number of flows held at once; 0 = limited by `memcap_bytes` only.
    pub max_flows: usize,
    /// Memory cap for the table's own storage in bytes (an estimate per flow, see
    /// [`crate::FlowTable::bytes_per_flow`]); 0 = limited by `max_flows` only. At least one of
    /// the two limits must be set.
    pub memcap_bytes: u64,
    /// Flows to reserve room for at start (Suricata's `flow.prealloc`), capped by the limits.
    pub prealloc: usize,
    /// Leave emergency mode when the number of flows falls below `(100 - this)` percent of the
    /// capacity (Suricata's `flow.emergency-recovery`, 1..=100).
    pub emergency_recovery: u8,
    /// Use VLAN ids in the flow key (`vlan.use-for-tracking`).
    pub vlan_tracking: bool,
    /// TCP midstream pickup (`stream.midstream`). When true, a TCP flow created by a SYN/ACK is
    /// oriented with the SYN/ACK's receiver as client, a SYN/ACK counts as a stream starter for
    /// TCP reuse, and in emergency mode only a plain SYN may create a TCP flow.
    pub midstream: bool,
    /// Seed for the key hasher and flow ids; `None` = random per run (hash-flooding defence).
    pub seed: Option<u64>,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            timeouts: FlowTimeouts::suricata_yaml(),
            max_flows: 0,
            memcap_bytes: 128 * 1024 * 1024,
            prealloc: 10_000,
            emergency_recovery: 30,
            vlan_tracking: true,
            midstream: false,
            seed: None,
        }
    }
}

impl FlowConfig {
    /// Suricata's compiled-in defaults: built-in timeouts and a 32 MB memcap.
    pub fn suricata_builtin() -> Self {
        FlowConfig {
            timeouts: FlowTimeouts::suricata_builtin(),
            memcap_bytes: 32 * 1024 * 1024,
            ..FlowConfig::default()
        }
    }
    /// Checks the settings that cannot be repaired.
    pub fn validate(&self) -> Result<(), FlowError> {
        if self.max_flows == 0 && self.memcap_bytes == 0 {
            return Err(FlowError::Unbounded);
        }
        if self.emergency_recovery == 0 || self.emergency_recovery > 100 {
            return Err(FlowError::EmergencyRecovery(self.emergency_recovery));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_suricata() {
        let t = FlowTimeouts::default();
        assert_eq!(t.get(ProtoClass::Tcp, FlowState::New, false), 60);
        assert_eq!(t.get(ProtoClass::Tcp, FlowState::Established, false), 600);
        assert_eq!(t.get(ProtoClass::Tcp, FlowState::Closed, false), 60);
        assert_eq!(t.get(ProtoClass::Tcp, FlowState::Closed, true), 10);
        assert_eq!(t.get(ProtoClass::Udp, FlowState::New, false), 30);
        assert_eq!(t.get(ProtoClass::Icmp, FlowState::Established, true), 100);
        let b = FlowTimeouts::suricata_builtin();
        assert_eq!(b.get(ProtoClass::Tcp, FlowState::New, false), 30);
        assert_eq!(b.get(ProtoClass::Tcp, FlowState::Closed, true), 5);
        assert_eq!(ProtoClass::of(58), ProtoClass::Default);
        assert_eq!(ProtoClass::of(1), ProtoClass::Icmp);
    }

    #[test]
    fn clamp_and_validate() {
        let mut t = FlowTimeouts::default();
        t.udp.emergency.new = 500;
        t.clamp_emergency();
        assert_eq!(t.udp.emergency.new, 3);
        assert!(FlowConfig::default().validate().is_ok());
        let c = FlowConfig {
            max_flows: 0,
            memcap_bytes: 0,
            ..FlowConfig::default()
        };
        assert!(matches!(c.validate(), Err(FlowError::Unbounded)));
        let c = FlowConfig {
            emergency_recovery: 0,
            ..FlowConfig::default()
        };
        assert!(matches!(c.validate(), Err(FlowError::EmergencyRecovery(0))));
    }
}
