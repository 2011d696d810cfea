import { randomUUID } from 'node:crypto';
import type { AddMemberBody, AddMemberResponse, ChangeRoleBody, Member } from '@satusky/contracts';
import { AppError } from '../core/errors.ts';
import { generatePassword, hashPassword } from '../core/passwords.ts';
import type { Executor } from '../db/database.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import { requireAdmin } from '../orgs/service.ts';
import * as users from '../users/repository.ts';
import * as repo from './repository.ts';

export function toMember(row: repo.MemberRow): Member {
  return {
    id: row.id,
    user_id: row.user_id,
    email: row.email,
    name: row.name,
    role: row.role,
    created_at: row.created_at.toISOString(),
  };
}

export async function list(exec: Executor, actor: Actor): Promise<Member[]> {
  return (await repo.listInOrg(exec, actor.organization.id)).map(toMember);
}

export async function add(
  exec: Executor,
  actor: Actor,
  body: AddMemberBody,
  audit: (event: AuditEvent) => void,
): Promise<AddMemberResponse> {
  requireAdmin(actor);
  const role = body.role ?? 'member';
  let user = await users.findByEmail(exec, body.email);
  let initialPassword: string | undefined;
  if (!user) {
    // Inviting an unknown address creates the account with a one-time initial password that the
    // inviting admin hands over; it is stored only as a hash.
    initialPassword = generatePassword();
    user = await users.insert(exec, {
      id: randomUUID(),
      email: body.email,
      name: body.name ?? '',
      password_hash: await hashPassword(initialPassword),
    });
  } else if (await repo.findByUser(exec, actor.organization.id, user.id)) {
    throw new AppError('SATUSKY_MEMBER_EXISTS', `${body.email} is already a member.`);
  }
  const membershipId = randomUUID();
  await repo.insert(exec, { id: membershipId, organization_id: actor.organization.id, user_id: user.id, role });
  const member = await repo.findInOrg(exec, actor.organization.id, membershipId);
  if (!member) throw new Error('membership vanished right after insert');
  audit({
    action: 'member.add',
    resourceType: 'membership',
    resourceId: membershipId,
    resourceName: user.email,
    changes: { email: user.email, role, user_created: initialPassword !== undefined },
  });
  return { member: toMember(member), ...(initialPassword ? { initial_password: initialPassword } : {}) };
}

async function findMember(exec: Executor, actor: Actor, memberId: string): Promise<repo.MemberRow> {
  const member = await repo.findInOrg(exec, actor.organization.id, memberId);
  if (!member) throw new AppError('SATUSKY_MEMBER_NOT_FOUND');
  return member;
}

/** The last admin can be neither demoted nor removed: the org would become unmanageable. */
async function assertNotLastAdmin(exec: Executor, actor: Actor, member: repo.MemberRow): Promise<void> {
  if (member.role !== 'admin') return;
  const admins = await repo.lockAdmins(exec, actor.organization.id);
  if (admins.length <= 1 && admins.includes(member.id)) {
    throw new AppError('SATUSKY_LAST_ADMIN', 'This is the last admin of the organization; promote another member first.');
  }
}

export async function changeRole(
  exec: Executor,
  actor: Actor,
  memberId: string,
  body: ChangeRoleBody,
  audit: (event: AuditEvent) => void,
): Promise<Member> {
  requireAdmin(actor);
  const member = await findMember(exec, actor, memberId);
  if (member.role !== body.role) {
    if (body.role === 'member') await assertNotLastAdmin(exec, actor, member);
    await repo.setRole(exec, member.id, body.role);
    audit({
      action: 'member.role.change',
      resourceType: 'membership',
      resourceId: member.id,
      resourceName: member.email,
      changes: { role: { from: member.role, to: body.role } },
    });
  }
  return toMember({ ...member, role: body.role });
}

export async function remove(
  exec: Executor,
  actor: Actor,
  memberId: string,
  audit: (event: AuditEvent) => void,
): Promise<{ removed: Member }> {
  const member = await findMember(exec, actor, memberId);
  // Anyone may leave; removing someone else takes the admin role.
  if (member.id !== actor.membership.id) requireAdmin(actor);
  await assertNotLastAdmin(exec, actor, member);
  await repo.remove(exec, member.id);
  audit({
    action: 'member.remove',
    resourceType: 'membership',
    resourceId: member.id,
    resourceName: member.email,
    changes: { email: member.email, role: member.role },
  });
  return { removed: toMember(member) };
}
