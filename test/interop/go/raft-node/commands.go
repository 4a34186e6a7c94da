package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft/raftpb"
)

const commandTimeout = 10 * time.Second

// run executes one command after start. Proposals wait (bounded) for raft to accept them.
func (n *raftNode) run(c command) (map[string]interface{}, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	switch c.Cmd {
	case "propose":
		for i, h := range c.Data {
			data, err := hex.DecodeString(h)
			if err != nil {
				return nil, err
			}
			if err := n.node.Propose(ctx, data); err != nil {
				return map[string]interface{}{"accepted": i}, err
			}
		}
		return map[string]interface{}{"accepted": len(c.Data)}, nil
	case "proposeConfChange":
		cc, err := confChangeSingle(c)
		if err != nil {
			return nil, err
		}
		return nil, n.node.ProposeConfChange(ctx, raftpb.ConfChange{Type: cc.Type, NodeID: cc.NodeID, Context: []byte(c.Context)})
	case "proposeConfChangeV2":
		// The URLs of added members travel in the V2 context as a JSON object {id (hex): url}.
		cc := raftpb.ConfChangeV2{}
		urls := map[string]string{}
		for _, ch := range c.Changes {
			single, err := confChangeSingle(ch)
			if err != nil {
				return nil, err
			}
			cc.Changes = append(cc.Changes, single)
			if ch.Context != "" {
				urls[types.ID(single.NodeID).String()] = ch.Context
			}
		}
		switch c.Transition {
		case "", "auto":
			cc.Transition = raftpb.ConfChangeTransitionAuto
		case "implicit":
			cc.Transition = raftpb.ConfChangeTransitionJointImplicit
		case "explicit":
			cc.Transition = raftpb.ConfChangeTransitionJointExplicit
		default:
			return nil, fmt.Errorf("unknown transition %q", c.Transition)
		}
		if len(urls) > 0 {
			ctxJSON, err := json.Marshal(urls)
			if err != nil {
				return nil, err
			}
			cc.Context = ctxJSON
		}
		return nil, n.node.ProposeConfChange(ctx, cc)
	case "transferLeader":
		t, err := types.IDFromString(c.Transferee)
		if err != nil {
			return nil, err
		}
		n.node.TransferLeadership(ctx, n.node.Status().Lead, uint64(t))
		return nil, nil
	case "readIndex":
		rctx, err := hex.DecodeString(c.Rctx)
		if err != nil {
			return nil, err
		}
		return nil, n.node.ReadIndex(ctx, rctx)
	case "pause":
		// rafthttp's test hook: drop everything sent and received on the streams.
		n.transport.Pause()
		return nil, nil
	case "resume":
		n.transport.Resume()
		return nil, nil
	case "campaign":
		return nil, n.node.Campaign(ctx)
	case "status":
		st := n.node.Status()
		out := map[string]interface{}{
			"id": types.ID(st.ID).String(), "lead": types.ID(st.Lead).String(), "term": st.Term,
			"vote": types.ID(st.Vote).String(), "commit": st.Commit, "state": st.RaftState.String(),
		}
		err := n.inLoop(func() {
			out["applied"] = n.appliedIndex
			out["snapshotIndex"] = n.snapshotIndex
			out["firstIndex"], _ = n.storage.FirstIndex()
			out["lastIndex"], _ = n.storage.LastIndex()
			out["hash"] = hex.EncodeToString(n.hash[:])
			out["voters"] = idStrings(n.confState.Voters)
			out["learners"] = idStrings(n.confState.Learners)
			out["votersOutgoing"] = idStrings(n.confState.VotersOutgoing)
			out["learnersNext"] = idStrings(n.confState.LearnersNext)
			out["autoLeave"] = n.confState.AutoLeave
		})
		return out, err
	case "log":
		out := map[string]interface{}{}
		err := n.inLoop(func() {
			ents := make([]loggedEntry, 0, len(n.applied))
			for _, e := range n.applied {
				if e.Index >= c.From {
					ents = append(ents, e)
				}
			}
			out["entries"] = ents
			out["applied"] = n.appliedIndex
			out["hash"] = hex.EncodeToString(n.hash[:])
		})
		return out, err
	case "compact":
		out := map[string]interface{}{}
		err := n.inLoop(func() {
			out["snapshotIndex"] = n.snapshot(c.CatchUp)
			out["firstIndex"], _ = n.storage.FirstIndex()
		})
		return out, err
	}
	return nil, fmt.Errorf("unknown command %q", c.Cmd)
}

func idStrings(ids []uint64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = types.ID(id).String()
	}
	return out
}

// confChangeSingle reads one change of a proposeConfChange(V2) command.
func confChangeSingle(c command) (raftpb.ConfChangeSingle, error) {
	nodeID, err := types.IDFromString(c.NodeID)
	if err != nil {
		return raftpb.ConfChangeSingle{}, err
	}
	cc := raftpb.ConfChangeSingle{NodeID: uint64(nodeID)}
	switch c.Type {
	case "add":
		cc.Type = raftpb.ConfChangeAddNode
	case "remove":
		cc.Type = raftpb.ConfChangeRemoveNode
	case "addLearner":
		cc.Type = raftpb.ConfChangeAddLearnerNode
	default:
		return cc, fmt.Errorf("unknown conf change type %q", c.Type)
	}
	return cc, nil
}
