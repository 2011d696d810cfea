import type { Member, Role } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, errorText, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, ConfirmButton, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { useTitle } from '../router.tsx';
import { formatTime } from '../time.ts';

/** Members of the organization; admins invite, change roles and remove. */
export function TeamPage() {
  const { org, orgName, isAdmin, me } = useViewer();
  useTitle('Team');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [initialPassword, setInitialPassword] = useState<{ email: string; password: string } | null>(null);
  const members = useQuery({ queryKey: keys.members(org), queryFn: () => client.listMembers(org), refetchInterval: POLL.list });
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.members(org) });
  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) => client.changeMemberRole(org, member.id, role),
    onSuccess: async (member) => {
      setResult({ ok: true, text: `${member.email} is now ${member.role}.` });
      await refresh();
    },
    onError: (e) => setResult({ ok: false, text: errorText(e) }),
  });
  const remove = useMutation({
    mutationFn: (member: Member) => client.removeMember(org, member.id),
    onSuccess: async (removed) => {
      setResult({ ok: true, text: `${removed.removed.email} was removed from ${orgName}.` });
      await refresh();
    },
    onError: (e) => setResult({ ok: false, text: errorText(e) }),
  });

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Team</h1>
          <p className="muted">{orgName}</p>
        </div>
      </div>
      {!isAdmin ? <p className="note note-info">Only organization admins can invite, change roles or remove members.</p> : null}
      <ActionResult result={result} />
      {initialPassword ? (
        <div className="note note-secret" role="status">
          <p>
            <strong>{initialPassword.email}</strong> is a new user. Their one-time initial password is shown only now — hand it over safely:
          </p>
          <p>
            <code className="secret-value" data-testid="initial-password">
              {initialPassword.password}
            </code>
          </p>
          <button type="button" className="button" onClick={() => setInitialPassword(null)}>
            Done, hide it
          </button>
        </div>
      ) : null}
      {isAdmin ? <InviteForm org={org} onInvited={(text, ok, password) => {
            setResult({ ok, text });
            setInitialPassword(password);
          }} /> : null}
      <Section title="Members">
        {members.isPending ? <Loading what="members" /> : null}
        {members.isError ? <ErrorNote error={members.error} /> : null}
        {members.data ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  <th scope="col">Since</th>
                  {isAdmin ? (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {members.data.map((m) => (
                  <MemberRow
                    key={m.id}
                    member={m}
                    isAdmin={isAdmin}
                    isSelf={m.user_id === me.user.id}
                    busy={changeRole.isPending || remove.isPending}
                    onRole={(role) => changeRole.mutate({ member: m, role })}
                    onRemove={() => remove.mutate(m)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>
    </div>
  );
}

function MemberRow({
  member,
  isAdmin,
  isSelf,
  busy,
  onRole,
  onRemove,
}: {
  member: Member;
  isAdmin: boolean;
  isSelf: boolean;
  busy: boolean;
  onRole: (role: Role) => void;
  onRemove: () => void;
}) {
  const [role, setRole] = useState<Role>(member.role);
  const selectId = `role-${member.id}`;
  return (
    <tr data-member={member.email}>
      <th scope="row">
        {member.name || member.email} {isSelf ? <span className="badge info">you</span> : null}
        <div className="muted small">{member.email}</div>
      </th>
      <td>
        {isAdmin ? (
          <div className="inline-form tight">
            <label htmlFor={selectId} className="sr-only">
              Role of {member.email}
            </label>
            <select id={selectId} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
            {role !== member.role ? (
              <button type="button" className="button primary" disabled={busy} onClick={() => onRole(role)}>
                Save role
              </button>
            ) : null}
          </div>
        ) : (
          member.role
        )}
      </td>
      <td className="small">{formatTime(member.created_at)}</td>
      {isAdmin ? (
        <td>
          <ConfirmButton label={isSelf ? 'Leave' : 'Remove'} confirmLabel={isSelf ? 'Yes, leave' : `Remove ${member.email}`} danger disabled={busy} onConfirm={onRemove} />
        </td>
      ) : null}
    </tr>
  );
}

function InviteForm({ org, onInvited }: { org: string; onInvited: (text: string, ok: boolean, password: { email: string; password: string } | null) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const invite = useMutation({
    mutationFn: () => client.addMember(org, { email: email.trim(), role, ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: async (added) => {
      onInvited(`${added.member.email} added as ${added.member.role}.`, true, added.initial_password ? { email: added.member.email, password: added.initial_password } : null);
      setEmail('');
      setName('');
      await queryClient.invalidateQueries({ queryKey: keys.members(org) });
    },
    onError: (e) => onInvited(errorText(e), false, null),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  return (
    <Section title="Invite a member">
      <form className="inline-form" onSubmit={submit} aria-label="Invite a member">
        <label className="field">
          <span>Email</span>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="off" />
        </label>
        <label className="field">
          <span>Name (optional)</span>
          <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </label>
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="button primary" disabled={invite.isPending}>
          Invite
        </button>
      </form>
    </Section>
  );
}
