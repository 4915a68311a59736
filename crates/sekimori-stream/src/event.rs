//! Stream events: anomalies the TCP tracker and reassembler report, with Suricata's names
//! (`stream.<name>`, matched by `stream-event:<name>` rules and logged as EVE anomalies).

/// One stream engine event. `name()` gives Suricata's `stream.*` spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum StreamEvent {
    /// ACK of the handshake sent by the server.
    ThreeWhsAckInWrongDir,
    /// async-oneside: the client's ACK after the SYN has an unexpected sequence number.
    ThreeWhsAsyncWrongSeq,
    /// Handshake ACK with the right sequence number but a wrong acknowledgement (evasion attempt).
    ThreeWhsRightSeqWrongAckEvasion,
    /// SYN/ACK sent by the client.
    ThreeWhsSynackInWrongDirection,
    /// SYN/ACK retransmitted with a different acknowledgement number.
    ThreeWhsSynackResendWithDifferentAck,
    /// SYN/ACK retransmitted with a different sequence number.
    ThreeWhsSynackResendWithDiffSeq,
    /// SYN/ACK from the client while in SYN_RECV.
    ThreeWhsSynackToserverOnSynRecv,
    /// SYN/ACK whose acknowledgement does not match the SYN.
    ThreeWhsSynackWithWrongAck,
    /// SYN/ACK acknowledging the SYN but not the data it carried (TCP Fast Open refused).
    ThreeWhsSynackTfoDataIgnored,
    /// More different SYNs than `max_syn_queued`.
    ThreeWhsSynFlood,
    /// SYN retransmitted with a different sequence number in SYN_RECV.
    ThreeWhsSynResendDiffSeqOnSynRecv,
    /// SYN from the server while in SYN_RECV.
    ThreeWhsSynToclientOnSynRecv,
    /// Handshake ACK with neither sequence nor acknowledgement as expected.
    ThreeWhsWrongSeqWrongAck,
    /// Inline: server data right after its SYN/ACK, before the client's ACK (injection).
    ThreeWhsAckDataInject,
    /// Split handshake: the client's SYN/ACK acknowledges the wrong SYN.
    FourWhsSynackWithWrongAck,
    /// Split handshake: the client's SYN/ACK does not carry its SYN's sequence number.
    FourWhsSynackWithWrongSyn,
    /// Split handshake: final ACK with a wrong sequence number.
    FourWhsWrongSeq,
    /// Split handshake: final ACK with an invalid acknowledgement.
    FourWhsInvalidAck,
    /// CLOSE_WAIT: packet outside the window.
    ClosewaitAckOutOfWindow,
    /// CLOSE_WAIT: FIN outside the window.
    ClosewaitFinOutOfWindow,
    /// CLOSE_WAIT: retransmission of data already acknowledged.
    ClosewaitPktBeforeLastAck,
    /// CLOSE_WAIT: invalid acknowledgement.
    ClosewaitInvalidAck,
    /// CLOSING: packet with a wrong sequence number.
    ClosingAckWrongSeq,
    /// CLOSING: invalid acknowledgement.
    ClosingInvalidAck,
    /// ESTABLISHED: data beyond the receiver's window.
    EstPacketOutOfWindow,
    /// ESTABLISHED: retransmission of data already acknowledged.
    EstPktBeforeLastAck,
    /// ESTABLISHED: SYN/ACK retransmitted after the handshake was confirmed.
    EstSynackResend,
    /// ESTABLISHED: SYN/ACK with a different acknowledgement.
    EstSynackResendWithDifferentAck,
    /// ESTABLISHED: SYN/ACK with a different sequence number.
    EstSynackResendWithDiffSeq,
    /// ESTABLISHED: SYN/ACK from the client.
    EstSynackToserver,
    /// ESTABLISHED: SYN retransmitted.
    EstSynResend,
    /// ESTABLISHED: SYN with a different sequence number.
    EstSynResendDiffSeq,
    /// ESTABLISHED: SYN from the server.
    EstSynToclient,
    /// ESTABLISHED: invalid acknowledgement.
    EstInvalidAck,
    /// FIN with an invalid acknowledgement.
    FinInvalidAck,
    /// FIN_WAIT1: packet with a wrong sequence number.
    Fin1AckWrongSeq,
    /// FIN_WAIT1: FIN with a wrong sequence number.
    Fin1FinWrongSeq,
    /// FIN_WAIT1: invalid acknowledgement.
    Fin1InvalidAck,
    /// FIN_WAIT2: packet with a wrong sequence number.
    Fin2AckWrongSeq,
    /// FIN_WAIT2: FIN with a wrong sequence number.
    Fin2FinWrongSeq,
    /// FIN_WAIT2: invalid acknowledgement.
    Fin2InvalidAck,
    /// FIN on a flow without a session.
    FinButNoSession,
    /// FIN outside the window.
    FinOutOfWindow,
    /// FIN and SYN in one packet.
    FinSyn,
    /// LAST_ACK: packet with a wrong sequence number.
    LastackAckWrongSeq,
    /// LAST_ACK: invalid acknowledgement.
    LastackInvalidAck,
    /// RST on a flow without a session.
    RstButNoSession,
    /// TIME_WAIT: packet with a wrong sequence number.
    TimewaitAckWrongSeq,
    /// TIME_WAIT: invalid acknowledgement.
    TimewaitInvalidAck,
    /// SYN during connection shutdown.
    ShutdownSynResend,
    /// Acknowledgement outside what the peer could have sent.
    PktInvalidAck,
    /// Acknowledgement number set while the ACK flag is not.
    PktBrokenAck,
    /// RST with an invalid acknowledgement (or sequence number).
    RstInvalidAck,
    /// RST carrying data.
    RstWithData,
    /// Packet retransmits data already seen.
    PktRetransmission,
    /// Packets from the supposed sender of a RST after that RST: the RST was likely forged.
    SuspectedRstInject,
    /// Segment entirely before the already reassembled data.
    ReassemblySegmentBeforeBaseSeq,
    /// Data known to be missing (acknowledged but never seen) was skipped.
    ReassemblySeqGap,
    /// Overlapping segment with bytes different from the data held (evasion attempt).
    ReassemblyOverlapDifferentData,
    /// The direction reached the reassembly depth.
    ReassemblyDepthReached,
    /// Segment not stored: reassembly memcap reached.
    ReassemblyInsertMemcap,
    /// Segment not stored: per-direction segment limit reached.
    ReassemblyInsertLimit,
}

impl StreamEvent {
    /// Number of event kinds.
    pub const COUNT: usize = 62;

    /// Every event, in declaration order (index = `self as usize`).
    pub const ALL: [StreamEvent; Self::COUNT] = {
        use StreamEvent::*;
        [
            ThreeWhsAckInWrongDir,
            ThreeWhsAsyncWrongSeq,
            ThreeWhsRightSeqWrongAckEvasion,
            ThreeWhsSynackInWrongDirection,
            ThreeWhsSynackResendWithDifferentAck,
            ThreeWhsSynackResendWithDiffSeq,
            ThreeWhsSynackToserverOnSynRecv,
            ThreeWhsSynackWithWrongAck,
            ThreeWhsSynackTfoDataIgnored,
            ThreeWhsSynFlood,
            ThreeWhsSynResendDiffSeqOnSynRecv,
            ThreeWhsSynToclientOnSynRecv,
            ThreeWhsWrongSeqWrongAck,
            ThreeWhsAckDataInject,
            FourWhsSynackWithWrongAck,
            FourWhsSynackWithWrongSyn,
            FourWhsWrongSeq,
            FourWhsInvalidAck,
            ClosewaitAckOutOfWindow,
            ClosewaitFinOutOfWindow,
            ClosewaitPktBeforeLastAck,
            ClosewaitInvalidAck,
            ClosingAckWrongSeq,
            ClosingInvalidAck,
            EstPacketOutOfWindow,
            EstPktBeforeLastAck,
            EstSynackResend,
            EstSynackResendWithDifferentAck,
            EstSynackResendWithDiffSeq,
            EstSynackToserver,
            EstSynResend,
            EstSynResendDiffSeq,
            EstSynToclient,
            EstInvalidAck,
            FinInvalidAck,
            Fin1AckWrongSeq,
            Fin1FinWrongSeq,
            Fin1InvalidAck,
            Fin2AckWrongSeq,
            Fin2FinWrongSeq,
            Fin2InvalidAck,
            FinButNoSession,
            FinOutOfWindow,
            FinSyn,
            LastackAckWrongSeq,
            LastackInvalidAck,
            RstButNoSession,
            TimewaitAckWrongSeq,
            TimewaitInvalidAck,
            ShutdownSynResend,
            PktInvalidAck,
            PktBrokenAck,
            RstInvalidAck,
            RstWithData,
            PktRetransmission,
            SuspectedRstInject,
            ReassemblySegmentBeforeBaseSeq,
            ReassemblySeqGap,
            ReassemblyOverlapDifferentData,
            ReassemblyDepthReached,
            ReassemblyInsertMemcap,
            ReassemblyInsertLimit,
        ]
    };

    /// Suricata's name, e.g. `stream.3whs_synack_with_wrong_ack`.
    pub const fn name(self) -> &'static str {
        use StreamEvent::*;
        match self {
            ThreeWhsAckInWrongDir => "stream.3whs_ack_in_wrong_dir",
            ThreeWhsAsyncWrongSeq => "stream.3whs_async_wrong_seq",
            ThreeWhsRightSeqWrongAckEvasion => "stream.3whs_right_seq_wrong_ack_evasion",
            ThreeWhsSynackInWrongDirection => "stream.3whs_synack_in_wrong_direction",
            ThreeWhsSynackResendWithDifferentAck => "stream.3whs_synack_resend_with_different_ack",
            ThreeWhsSynackResendWithDiffSeq => "stream.3whs_synack_resend_with_diff_seq",
            ThreeWhsSynackToserverOnSynRecv => "stream.3whs_synack_toserver_on_syn_recv",
            ThreeWhsSynackWithWrongAck => "stream.3whs_synack_with_wrong_ack",
            ThreeWhsSynackTfoDataIgnored => "stream.3whs_synack_tfo_data_ignored",
            ThreeWhsSynFlood => "stream.3whs_syn_flood",
            ThreeWhsSynResendDiffSeqOnSynRecv => "stream.3whs_syn_resend_diff_seq_on_syn_recv",
            ThreeWhsSynToclientOnSynRecv => "stream.3whs_syn_toclient_on_syn_recv",
            ThreeWhsWrongSeqWrongAck => "stream.3whs_wrong_seq_wrong_ack",
            ThreeWhsAckDataInject => "stream.3whs_ack_data_inject",
            FourWhsSynackWithWrongAck => "stream.4whs_synack_with_wrong_ack",
            FourWhsSynackWithWrongSyn => "stream.4whs_synack_with_wrong_syn",
            FourWhsWrongSeq => "stream.4whs_wrong_seq",
            FourWhsInvalidAck => "stream.4whs_invalid_ack",
            ClosewaitAckOutOfWindow => "stream.closewait_ack_out_of_window",
            ClosewaitFinOutOfWindow => "stream.closewait_fin_out_of_window",
            ClosewaitPktBeforeLastAck => "stream.closewait_pkt_before_last_ack",
            ClosewaitInvalidAck => "stream.closewait_invalid_ack",
            ClosingAckWrongSeq => "stream.closing_ack_wrong_seq",
            ClosingInvalidAck => "stream.closing_invalid_ack",
            EstPacketOutOfWindow => "stream.est_packet_out_of_window",
            EstPktBeforeLastAck => "stream.est_pkt_before_last_ack",
            EstSynackResend => "stream.est_synack_resend",
            EstSynackResendWithDifferentAck => "stream.est_synack_resend_with_different_ack",
            EstSynackResendWithDiffSeq => "stream.est_synack_resend_with_diff_seq",
            EstSynackToserver => "stream.est_synack_toserver",
            EstSynResend => "stream.est_syn_resend",
            EstSynResendDiffSeq => "stream.est_syn_resend_diff_seq",
            EstSynToclient => "stream.est_syn_toclient",
            EstInvalidAck => "stream.est_invalid_ack",
            FinInvalidAck => "stream.fin_invalid_ack",
            Fin1AckWrongSeq => "stream.fin1_ack_wrong_seq",
            Fin1FinWrongSeq => "stream.fin1_fin_wrong_seq",
            Fin1InvalidAck => "stream.fin1_invalid_ack",
            Fin2AckWrongSeq => "stream.fin2_ack_wrong_seq",
            Fin2FinWrongSeq => "stream.fin2_fin_wrong_seq",
            Fin2InvalidAck => "stream.fin2_invalid_ack",
            FinButNoSession => "stream.fin_but_no_session",
            FinOutOfWindow => "stream.fin_out_of_window",
            FinSyn => "stream.fin_syn",
            LastackAckWrongSeq => "stream.lastack_ack_wrong_seq",
            LastackInvalidAck => "stream.lastack_invalid_ack",
            RstButNoSession => "stream.rst_but_no_session",
            TimewaitAckWrongSeq => "stream.timewait_ack_wrong_seq",
            TimewaitInvalidAck => "stream.timewait_invalid_ack",
            ShutdownSynResend => "stream.shutdown_syn_resend",
            PktInvalidAck => "stream.pkt_invalid_ack",
            PktBrokenAck => "stream.pkt_broken_ack",
            RstInvalidAck => "stream.rst_invalid_ack",
            RstWithData => "stream.rst_with_data",
            PktRetransmission => "stream.pkt_retransmission",
            SuspectedRstInject => "stream.suspected_rst_inject",
            ReassemblySegmentBeforeBaseSeq => "stream.reassembly_segment_before_base_seq",
            ReassemblySeqGap => "stream.reassembly_seq_gap",
            ReassemblyOverlapDifferentData => "stream.reassembly_overlap_different_data",
            ReassemblyDepthReached => "stream.reassembly_depth_reached",
            ReassemblyInsertMemcap => "stream.reassembly_insert_memcap",
            ReassemblyInsertLimit => "stream.reassembly_insert_limit",
        }
    }

    /// The name without the `stream.` prefix, as `stream-event:` rule options spell it.
    pub fn keyword(self) -> &'static str {
        let n = self.name();
        n.strip_prefix("stream.").unwrap_or(n)
    }

    /// Looks an event up by its name, with or without the `stream.` prefix.
    pub fn from_name(name: &str) -> Option<StreamEvent> {
        let key = name.strip_prefix("stream.").unwrap_or(name);
        Self::ALL.iter().copied().find(|e| e.keyword() == key)
    }
}

// Every event must fit the 64-bit mask of `EventSet`.
const _: () = assert!(StreamEvent::COUNT <= 64);

/// A set of [`StreamEvent`]s (a 64-bit mask; no allocation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventSet(u64);

impl EventSet {
    /// The empty set.
    pub const fn new() -> Self {
        EventSet(0)
    }
    /// Adds an event.
    pub fn insert(&mut self, e: StreamEvent) {
        self.0 |= 1u64 << (e as u8);
    }
    /// True when `e` is in the set.
    pub const fn contains(&self, e: StreamEvent) -> bool {
        self.0 & (1u64 << (e as u8)) != 0
    }
    /// True when no event is set.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }
    /// Number of distinct events in the set.
    pub const fn len(&self) -> usize {
        self.0.count_ones() as usize
    }
    /// Union with another set.
    pub fn extend(&mut self, other: EventSet) {
        self.0 |= other.0;
    }
    /// The events, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = StreamEvent> + '_ {
        let bits = self.0;
        StreamEvent::ALL
            .iter()
            .copied()
            .filter(move |e| bits & (1u64 << (*e as u8)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_indexed() {
        for (i, e) in StreamEvent::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i, "{e:?} out of order");
            assert!(e.name().starts_with("stream."));
            assert_eq!(StreamEvent::from_name(e.name()), Some(*e));
            assert_eq!(StreamEvent::from_name(e.keyword()), Some(*e));
        }
        let mut names: Vec<_> = StreamEvent::ALL.iter().map(|e| e.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), StreamEvent::COUNT);
        assert_eq!(StreamEvent::from_name("stream.no_such_thing"), None);
    }

    #[test]
    fn suricata_spellings() {
        assert_eq!(
            StreamEvent::ThreeWhsSynackWithWrongAck.name(),
            "stream.3whs_synack_with_wrong_ack"
        );
        assert_eq!(StreamEvent::PktInvalidAck.name(), "stream.pkt_invalid_ack");
        assert_eq!(
            StreamEvent::ReassemblyOverlapDifferentData.name(),
            "stream.reassembly_overlap_different_data"
        );
        assert_eq!(
            StreamEvent::ReassemblySeqGap.keyword(),
            "reassembly_seq_gap"
        );
    }

    #[test]
    fn event_set() {
        let mut s = EventSet::new();
        assert!(s.is_empty());
        s.insert(StreamEvent::ReassemblyInsertLimit);
        s.insert(StreamEvent::ThreeWhsAckInWrongDir);
        s.insert(StreamEvent::ThreeWhsAckInWrongDir);
        assert_eq!(s.len(), 2);
        assert!(s.contains(StreamEvent::ReassemblyInsertLimit));
        assert!(!s.contains(StreamEvent::FinSyn));
        let v: Vec<_> = s.iter().collect();
        assert_eq!(
            v,
            vec![
                StreamEvent::ThreeWhsAckInWrongDir,
                StreamEvent::ReassemblyInsertLimit
            ]
        );
        let mut t = EventSet::new();
        t.insert(StreamEvent::FinSyn);
        t.extend(s);
        assert_eq!(t.len(), 3);
    }
}
