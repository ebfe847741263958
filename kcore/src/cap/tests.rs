//! Unit tests for the capability space, including the hostile cases the kernel relies on.
use super::*;

const RW: Rights = Rights::READ.union(Rights::WRITE);
const ALL: Rights = RW.union(Rights::GRANT);

#[test]
fn check_with_applies_every_check_of_check() {
    let mut caps = CapSpace::new();
    let slot = caps.insert_root(1, 'a', ALL).unwrap() as u64;
    let read = caps.grant(1, slot, 2, Rights::READ).unwrap() as u64;
    assert_eq!(caps.check_with(1, slot, Rights::WRITE, |o| *o == 'a'), Ok(true));
    assert_eq!(caps.check_with(2, read, Rights::READ, |o| *o), Ok('a'));
    assert!(matches!(caps.check_with(2, read, Rights::WRITE, |o| *o), Err(CapError::MissingRights { .. })));
    assert_eq!(caps.check_with(2, read + 1, Rights::NONE, |o| *o), Err(CapError::EmptySlot(read + 1)));
    assert_eq!(caps.check_with(1, MAX_SLOTS as u64, Rights::NONE, |o| *o), Err(CapError::SlotOutOfRange(MAX_SLOTS as u64)));
    assert_eq!(caps.check_with(9, 0, Rights::NONE, |o| *o), Err(CapError::EmptySlot(0)));
}

#[test]
fn root_lookup_and_rights_check() {
    let mut caps = CapSpace::new();
    let slot = caps.insert_root(1, 'a', ALL).unwrap();
    assert_eq!(caps.lookup(1, slot as u64), Ok(('a', ALL)));
    assert_eq!(caps.check(1, slot as u64, Rights::WRITE), Ok('a'));
    assert!(caps.is_root(1, slot as u64).unwrap());
    assert_eq!(caps.count(1), 1);
    caps.grant(1, slot as u64, 1, Rights::READ).unwrap();
    assert_eq!(caps.roots(1), [(slot, 'a')], "granted capabilities are not roots");
    assert_eq!(caps.roots(7), []);
}

#[test]
fn out_of_range_and_empty_slots() {
    let mut caps = CapSpace::<u8>::new();
    assert_eq!(caps.lookup(0, 0), Err(CapError::EmptySlot(0)), "an env with no table");
    caps.insert_root(0, 1, ALL).unwrap();
    assert_eq!(caps.lookup(0, 1), Err(CapError::EmptySlot(1)));
    assert_eq!(caps.lookup(0, MAX_SLOTS as u64), Err(CapError::SlotOutOfRange(MAX_SLOTS as u64)));
    assert_eq!(caps.lookup(0, u64::MAX), Err(CapError::SlotOutOfRange(u64::MAX)));
    assert_eq!(caps.revoke(0, 7), Err(CapError::EmptySlot(7)));
    let beyond = MAX_SLOTS as u64 + 44;
    assert_eq!(caps.delete(0, beyond), Err(CapError::SlotOutOfRange(beyond)));
}

#[test]
fn grants_cannot_amplify_rights() {
    let mut caps = CapSpace::new();
    let root = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let read_only = caps.grant(1, root, 2, Rights::READ).unwrap() as u64;
    assert_eq!(caps.lookup(2, read_only), Ok(('p', Rights::READ)));
    // The read-only holder can neither write nor grant.
    assert!(matches!(caps.check(2, read_only, Rights::WRITE), Err(CapError::MissingRights { .. })));
    assert!(matches!(caps.grant(2, read_only, 3, Rights::READ), Err(CapError::MissingRights { .. })));
    // A granting holder cannot pass on more than it has.
    let grant_read = caps.grant(1, root, 2, Rights::READ.union(Rights::GRANT)).unwrap() as u64;
    assert!(matches!(caps.grant(2, grant_read, 3, RW), Err(CapError::MissingRights { .. })));
    assert!(caps.grant(2, grant_read, 3, Rights::READ).is_ok());
    assert!(!caps.is_root(2, grant_read).unwrap());
}

#[test]
fn revocation_is_transitive_and_leaves_the_source() {
    let mut caps = CapSpace::new();
    let root = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let b = caps.grant(1, root, 2, ALL).unwrap() as u64;
    let c = caps.grant(2, b, 3, Rights::READ).unwrap() as u64;
    let other = caps.insert_root(3, 'q', ALL).unwrap() as u64;
    let removed = caps.revoke(1, root).unwrap();
    assert_eq!(removed.len(), 2);
    assert!(removed.contains(&Removed { owner: 2, slot: b as usize, object: 'p', root: false, mappings: MapSet::new(), extent_runs: 0 }));
    assert!(removed.contains(&Removed { owner: 3, slot: c as usize, object: 'p', root: false, mappings: MapSet::new(), extent_runs: 0 }));
    assert_eq!(caps.lookup(2, b), Err(CapError::EmptySlot(b)), "stale after revoke");
    assert_eq!(caps.lookup(3, c), Err(CapError::EmptySlot(c)));
    assert_eq!(caps.lookup(1, root), Ok(('p', ALL)));
    assert_eq!(caps.lookup(3, other), Ok(('q', ALL)), "unrelated capability untouched");
}

#[test]
fn a_holder_cannot_revoke_its_granters_other_grants() {
    let mut caps = CapSpace::new();
    let root = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let to_two = caps.grant(1, root, 2, ALL).unwrap() as u64;
    let to_three = caps.grant(1, root, 3, Rights::READ).unwrap() as u64;
    // Env 2 revoking through its own capability only reaches what it granted: nothing.
    assert_eq!(caps.revoke(2, to_two).unwrap(), []);
    assert_eq!(caps.lookup(3, to_three), Ok(('p', Rights::READ)));
}

#[test]
fn delete_and_remove_owner_free_slots_and_subtrees() {
    let mut caps = CapSpace::new();
    let root = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let b = caps.grant(1, root, 2, ALL).unwrap() as u64;
    caps.grant(2, b, 3, Rights::READ).unwrap();
    let removed = caps.delete(2, b).unwrap();
    assert_eq!(removed.len(), 2);
    assert_eq!(removed[0].owner, 2, "the deleted capability comes first");
    assert_eq!(caps.count(3), 0);
    assert_eq!(caps.revoke(1, root).unwrap(), [], "child list was cleaned");
    caps.grant(1, root, 4, Rights::READ).unwrap();
    let removed = caps.remove_owner(1);
    assert_eq!(removed.len(), 2);
    assert_eq!(removed.iter().filter(|r| r.root).count(), 1, "only the allocation's own capability is a root");
    assert_eq!((caps.count(1), caps.count(4)), (0, 0));
}

#[test]
fn full_table_is_an_error_and_slots_are_reused() {
    let mut caps = CapSpace::new();
    for i in 0..MAX_SLOTS {
        assert_eq!(caps.insert_root(0, i, ALL), Ok(i));
    }
    assert_eq!(caps.insert_root(0, 999, ALL), Err(CapError::TableFull));
    caps.delete(0, 17).unwrap();
    assert_eq!(caps.insert_root(0, 1000, ALL), Ok(17));
}

#[test]
fn give_moves_a_root_with_its_object() {
    let mut caps = CapSpace::new();
    let a = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let moved = caps.give(1, a, 2).unwrap() as u64;
    assert_eq!(caps.lookup(1, a), Err(CapError::EmptySlot(a)), "the giver keeps nothing");
    assert_eq!(caps.lookup(2, moved), Ok(('p', ALL)));
    assert!(caps.is_root(2, moved).unwrap());
    assert_eq!(caps.roots(2), [(moved as usize, 'p')]);
    // Deleting it from its new owner reports the new owner and slot.
    let removed = caps.delete(2, moved).unwrap();
    assert_eq!(removed, [Removed { owner: 2, slot: moved as usize, object: 'p', root: true, mappings: MapSet::new(), extent_runs: 0 }]);
}

#[test]
fn give_refuses_grants_and_granted_capabilities() {
    let mut caps = CapSpace::new();
    let a = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let g = caps.grant(1, a, 3, RW).unwrap() as u64;
    assert_eq!(caps.give(1, a, 2), Err(CapError::HasGrants(a)), "its grants would lose their parent's owner");
    assert_eq!(caps.give(3, g, 2), Err(CapError::NotRoot(g)), "a grant cannot be given away");
    assert_eq!(caps.give(1, 999, 2), Err(CapError::EmptySlot(999)));
    assert_eq!(caps.lookup(1, a), Ok(('p', ALL)), "a failed give changes nothing");
    // A full target table refuses and the giver keeps the capability.
    let mut full = CapSpace::new();
    let b = full.insert_root(1, 'q', ALL).unwrap() as u64;
    for _ in 0..MAX_SLOTS {
        full.insert_root(2, 'z', ALL).unwrap();
    }
    assert_eq!(full.give(1, b, 2), Err(CapError::TableFull));
    assert_eq!(full.lookup(1, b), Ok(('q', ALL)));
}

/// A set holding exactly `pairs`.
fn set_of(pairs: &[(usize, u64)]) -> MapSet {
    let mut set = MapSet::new();
    for &(env, va) in pairs {
        set.insert(env, va);
    }
    set
}

#[test]
fn mappings_follow_the_capability_and_come_out_with_it() {
    let mut caps = CapSpace::new();
    let root = caps.insert_root(1, 'p', ALL).unwrap() as u64;
    let granted = caps.grant(1, root, 2, RW).unwrap() as u64;
    caps.note_mapped(1, root, 1, 0x1000);
    caps.note_mapped(2, granted, 2, 0x2000);
    caps.note_mapped(2, granted, 5, 0x3000);
    caps.note_unmapped(2, granted, 2, 0x2000);
    assert_eq!((caps.mappings(1, root), caps.mappings(2, granted)), (1, 1));
    // An empty slot records nothing and ignores changes.
    caps.note_mapped(2, 999, 2, 0x1000);
    assert_eq!(caps.mappings(2, 999), 0);
    let removed = caps.revoke(1, root).unwrap();
    assert_eq!(removed, [Removed { owner: 2, slot: granted as usize, object: 'p', root: false, mappings: set_of(&[(5, 0x3000)]), extent_runs: 0 }]);
    caps.note_unmapped(2, granted, 5, 0x3000);
    assert_eq!(caps.mappings(2, granted), 0, "a removed capability's slot records nothing");
    // A slot reused by a new capability starts empty.
    let again = caps.grant(1, root, 2, RW).unwrap() as u64;
    assert_eq!((again, caps.mappings(2, again)), (granted, 0));
    // The mappings move with a given root.
    caps.note_unmapped(1, root, 1, 0x1000);
    caps.revoke(1, root).unwrap();
    caps.note_mapped(1, root, 1, 0x5000);
    caps.note_mapped(1, root, 4, 0x5000);
    let moved = caps.give(1, root, 3).unwrap() as u64;
    assert_eq!(caps.mappings(3, moved), 2);
    assert_eq!(caps.delete(3, moved).unwrap()[0].mappings, set_of(&[(1, 0x5000), (4, 0x5000)]));
}

#[test]
fn a_map_set_behaves_like_a_set() {
    let mut set = MapSet::new();
    let mut model = alloc::collections::BTreeSet::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..4000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let (env, va) = ((x % 5) as usize, ((x >> 8) % 40 + 1) * 4096);
        if x.is_multiple_of(3) {
            assert_eq!(set.remove(env, va), model.remove(&(env, va)));
        } else if x.is_multiple_of(7) {
            let popped = set.pop();
            assert_eq!(popped.is_some(), !model.is_empty());
            if let Some(p) = popped {
                assert!(model.remove(&p));
            }
        } else if model.insert((env, va)) {
            // The kernel records a mapping once (an address maps one page).
            set.insert(env, va);
        }
        assert_eq!(set.len(), model.len());
        assert_eq!(set.is_empty(), model.is_empty());
    }
    let mut listed: Vec<(usize, u64)> = set.iter().collect();
    listed.sort();
    assert!(listed.into_iter().eq(model.into_iter()));
}

#[test]
fn revocation_in_pieces_removes_the_same_capabilities_and_keeps_the_rest_below() {
    // A tree: root -> a (3 mapped children, one with a grandchild) and b, plus a stranger's node.
    let build = || {
        let mut caps = CapSpace::new();
        let root = caps.insert_root(0, 'p', ALL).unwrap() as u64;
        let a = caps.grant(0, root, 1, ALL).unwrap() as u64;
        let mut deep = Vec::new();
        for env in 2..5 {
            let s = caps.grant(1, a, env, ALL).unwrap() as u64;
            caps.note_mapped(env, s, env, 0x1000);
            deep.push((env, s));
        }
        let g = caps.grant(2, deep[0].1, 6, Rights::READ).unwrap() as u64;
        caps.grant(0, root, 7, RW).unwrap();
        caps.insert_root(9, 'q', ALL).unwrap();
        (caps, root, g)
    };
    let (mut whole, root, _) = build();
    let mut expected: Vec<(usize, usize)> = whole.revoke(0, root).unwrap().iter().map(|r| (r.owner, r.slot)).collect();
    expected.sort();
    let (mut pieces, root, g) = build();
    let mut got = Vec::new();
    let mut calls = 0;
    loop {
        calls += 1;
        let (removed, done) = pieces.revoke_some(0, root, 2).unwrap();
        assert!(!removed.is_empty() || done);
        // A piece stops once its work reaches the bound (one more node may cross it).
        let work: usize = removed.iter().map(|r| removal_work(1, r.mappings.len())).sum();
        assert!(work < 2 + 2, "piece work {work}");
        got.extend(removed.iter().map(|r| (r.owner, r.slot)));
        if done {
            break;
        }
        // Between pieces every remaining capability is still below the root: revoking a
        // remaining one works, and the root still stands.
        assert!(pieces.lookup(0, root).is_ok());
    }
    got.sort();
    assert_eq!(got, expected);
    assert!(calls > 2, "the bound split the work");
    assert_eq!(pieces.lookup(6, g), Err(CapError::EmptySlot(g)));
    assert_eq!(pieces.live(), 2, "the root and the stranger's capability are left");
    // Deleting in pieces ends with the slot itself.
    let (mut del, root, _) = build();
    let last = loop {
        let (removed, done) = del.delete_some(0, root, 3).unwrap();
        if done {
            break removed;
        }
    };
    assert_eq!(last.last().map(|r| (r.owner, r.root)), Some((0, true)));
    assert_eq!(del.lookup(0, root), Err(CapError::EmptySlot(root)));
    assert_eq!(del.live(), 1);
}

#[test]
fn detaching_one_of_many_siblings_keeps_the_others_reachable() {
    let mut caps = CapSpace::new();
    let root = caps.insert_root(0, 'p', ALL).unwrap() as u64;
    let slots: Vec<u64> = (0..50).map(|_| caps.grant(0, root, 1, ALL).unwrap() as u64).collect();
    for &s in slots.iter().step_by(3) {
        caps.delete(1, s).unwrap();
    }
    let removed = caps.revoke(0, root).unwrap();
    assert_eq!(removed.len(), 50 - slots.iter().step_by(3).count());
    assert_eq!(caps.live(), 1);
}

#[test]
fn free_slots_are_found_lowest_first_after_any_removal() {
    let mut caps = CapSpace::new();
    let slots: Vec<u64> = (0..10).map(|_| caps.insert_root(1, 'x', ALL).unwrap() as u64).collect();
    assert_eq!(slots, (0..10).collect::<Vec<u64>>());
    caps.delete(1, 7).unwrap();
    caps.delete(1, 3).unwrap();
    assert_eq!(caps.insert_root(1, 'y', ALL), Ok(3));
    assert_eq!(caps.insert_root(1, 'y', ALL), Ok(7));
    assert_eq!(caps.insert_root(1, 'y', ALL), Ok(10));
    let given = caps.give(1, 2, 4).unwrap();
    assert_eq!((given, caps.insert_root(1, 'z', ALL)), (0, Ok(2)));
    // Grants from slot 0 to the same table, then a revocation empties their slots again.
    let g1 = caps.grant(1, 0, 1, RW).unwrap();
    let g2 = caps.grant(1, 0, 1, RW).unwrap();
    assert_eq!((g1, g2), (11, 12));
    caps.revoke(1, 0).unwrap();
    assert_eq!(caps.insert_root(1, 'w', ALL), Ok(11));
    let removed = caps.remove_owner(1);
    assert_eq!(removed.len(), 12);
    assert_eq!(caps.insert_root(1, 'v', ALL), Ok(0));
}

#[test]
fn grant_consent_itself_descendant_or_served_caller() {
    let none = core::iter::empty::<u64>;
    assert_eq!(consent(5, 5, None, none()), Some(Consent::Itself));
    // 5 created 6, which created 7: 5 may fill 6's and 7's tables.
    assert_eq!(consent(5, 6, None, [5, 1].into_iter()), Some(Consent::Descendant));
    assert_eq!(consent(5, 7, None, [6, 5, 1].into_iter()), Some(Consent::Descendant));
    // A server may grant to the caller it serves, and to no one else through that call.
    assert_eq!(consent(9, 6, Some(6), [5, 1].into_iter()), Some(Consent::Caller));
    assert_eq!(consent(9, 7, Some(6), [6, 5, 1].into_iter()), None, "the caller's child did not call");
    // Hostile: a child cannot fill its parent's (or grandparent's, or sibling's) table, nor a
    // stranger anyone's.
    assert_eq!(consent(6, 5, None, [1].into_iter()), None, "child into parent");
    assert_eq!(consent(7, 5, None, [1].into_iter()), None, "grandchild into grandparent");
    assert_eq!(consent(6, 8, None, [5, 1].into_iter()), None, "into a sibling");
    assert_eq!(consent(6, 5, Some(4), [1].into_iter()), None, "serving someone else");
    // Serving is not kept once the reply goes: the caller's consent lasts one call.
    assert_eq!(consent(9, 6, None, [5, 1].into_iter()), None);
}

#[test]
fn consent_walks_ancestors_only_as_far_as_needed() {
    let mut walked = 0;
    let chain = [6u64, 5, 1].into_iter().inspect(|_| walked += 1);
    assert_eq!(consent(6, 7, None, chain), Some(Consent::Descendant));
    assert_eq!(walked, 1);
}

#[test]
fn subtree_mappings_count_the_grants_of_grants() {
    let mut caps: CapSpace<char> = CapSpace::new();
    let root = caps.insert_root(0, 'e', ALL).unwrap() as u64;
    let child = caps.grant(0, root, 1, ALL).unwrap() as u64;
    let grandchild = caps.grant(1, child, 2, Rights::READ).unwrap() as u64;
    assert_eq!(caps.subtree_mappings(0, root), 0);
    caps.note_extent_runs(2, grandchild, 2);
    caps.note_mapped(0, root, 5, 0x1000);
    assert_eq!(caps.subtree_mappings(0, root), 3);
    assert_eq!(caps.subtree_mappings(1, child), 2);
    assert_eq!(caps.mappings(0, root), 1, "its own count is apart");
    caps.note_extent_runs(2, grandchild, -2);
    caps.note_unmapped(0, root, 5, 0x1000);
    assert_eq!(caps.subtree_mappings(0, root), 0);
    assert_eq!(caps.subtree_mappings(0, 99), 0, "an empty slot");
}

#[test]
fn tables_grow_in_pieces_on_demand_up_to_the_slot_limit() {
    let mut caps = CapSpace::new();
    let piece = TABLE_GROWTH * core::mem::size_of::<Option<usize>>();
    assert_eq!(caps.growth(3), piece, "a table that does not exist yet grows on its first insert");
    for i in 0..TABLE_GROWTH {
        assert_eq!(caps.growth(3), if i == 0 { piece } else { 0 });
        caps.insert_root(3, 'x', ALL).unwrap();
    }
    assert_eq!(caps.growth(3), piece, "a full piece means the next insert grows the table");
    assert_eq!(caps.insert_root(3, 'y', ALL), Ok(TABLE_GROWTH));
    assert_eq!(caps.growth(3), 0);
    // Slots beyond the table's current size are empty, not out of range.
    assert_eq!(caps.lookup(3, (MAX_SLOTS - 1) as u64), Err(CapError::EmptySlot(MAX_SLOTS as u64 - 1)));
    // Many nodes: the arena grows in pieces and every node stays where it is.
    let root = caps.insert_root(4, 'r', ALL).unwrap() as u64;
    for env in 10..40 {
        for _ in 0..100 {
            caps.grant(4, root, env, RW).unwrap();
        }
    }
    assert_eq!(caps.live(), TABLE_GROWTH + 2 + 3000);
    assert_eq!(caps.revoke(4, root).unwrap().len(), 3000);
    assert_eq!(caps.growth(3), 0);
}
