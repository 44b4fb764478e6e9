import { z } from 'zod';
import { AssistantUsesPerDaySchema } from './assistant.js';
import { IdSchema, TimestampSchema } from './common.js';
import { UsernameSchema } from './users.js';

export const ORG_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export const ORG_STATUSES = ['provisioning', 'active', 'suspended', 'deleting', 'deleted', 'error'] as const;
export const TEAM_ROLES = ['maintainer', 'member'] as const;
export const SHARE_LEVELS = ['view', 'use'] as const;

/** Organization slugs share one namespace with usernames (a user's personal organization takes their name). */
export const OrgSlugSchema = UsernameSchema.describe('letters, digits, "_", "." or "-"; shares one namespace with usernames');
export const TeamSlugSchema = UsernameSchema.describe('letters, digits, "_", "." or "-"; unique in its organization');

export const OrgParamsSchema = z.object({ org: z.string().min(1).max(64) });
export const MemberParamsSchema = OrgParamsSchema.extend({ username: z.string().min(1).max(64) });
export const TeamParamsSchema = OrgParamsSchema.extend({ team: z.string().min(1).max(64) });
export const TeamMemberParamsSchema = TeamParamsSchema.extend({ username: z.string().min(1).max(64) });
export const ShareParamsSchema = z.object({ id: IdSchema, teamId: IdSchema });
export const InvitationParamsSchema = OrgParamsSchema.extend({ id: IdSchema });

export const OrganizationSchema = z
  .object({
    id: IdSchema,
    slug: z.string().describe('Its name in URLs and on the command line; shares one namespace with usernames'),
    name: z.string(),
    personal: z.boolean().describe("A user's own organization, made with the user and named like them"),
    status: z.enum(ORG_STATUSES),
    role: z.enum(ORG_ROLES).describe("The caller's role in it (instance admins who are not members: owner)"),
  })
  .meta({ id: 'Organization' });

export const OrganizationListSchema = z.object({ items: z.array(OrganizationSchema) });

export const CreateOrgBodySchema = z.strictObject({
  slug: OrgSlugSchema,
  name: z.string().trim().min(1).max(100),
});

const UserRefSchema = z.object({ id: IdSchema, username: z.string() });

export const MemberSchema = z
  .object({ user: UserRefSchema, role: z.enum(ORG_ROLES), joinedAt: TimestampSchema })
  .meta({ id: 'Member' });
export const MemberListSchema = z.object({ items: z.array(MemberSchema) });
export const UpdateMemberBodySchema = z.strictObject({ role: z.enum(ORG_ROLES) });

export const InvitationSchema = z
  .object({
    id: IdSchema,
    org: z.object({ id: IdSchema, slug: z.string(), name: z.string() }),
    username: z.string().nullable().describe('Who is invited; null for a link anyone signed in may accept once'),
    role: z.enum(['admin', 'member', 'viewer']),
    invitedBy: z.string(),
    expiresAt: TimestampSchema,
    createdAt: TimestampSchema,
  })
  .meta({ id: 'Invitation' });
export const InvitationListSchema = z.object({ items: z.array(InvitationSchema) });
export const CreatedInvitationSchema = InvitationSchema.extend({
  token: z.string().optional().describe('For a link invitation: the secret to accept it with, shown only in this response'),
}).meta({ id: 'CreatedInvitation' });
export const CreateInvitationBodySchema = z.strictObject({
  username: UsernameSchema.optional().describe('Omit for a single-use link'),
  role: z.enum(['admin', 'member', 'viewer']).default('member'),
  expiresInDays: z.number().int().min(1).max(30).default(7),
});
export const AcceptLinkBodySchema = z.strictObject({ token: z.string().min(1).max(200) });

export const TeamSchema = z
  .object({
    id: IdSchema,
    slug: z.string(),
    name: z.string(),
    members: z.array(z.object({ user: UserRefSchema, role: z.enum(TEAM_ROLES) })),
  })
  .meta({ id: 'Team' });
export const TeamListSchema = z.object({ items: z.array(TeamSchema) });
export const CreateTeamBodySchema = z.strictObject({ slug: TeamSlugSchema, name: z.string().trim().min(1).max(100) });
export const TeamMemberBodySchema = z.strictObject({ role: z.enum(TEAM_ROLES).default('member') });

export const ShareSchema = z
  .object({ team: z.object({ id: IdSchema, slug: z.string(), name: z.string() }), level: z.enum(SHARE_LEVELS) })
  .meta({ id: 'Share' });
export const ShareListSchema = z.object({ items: z.array(ShareSchema) });
export const ShareBodySchema = z.strictObject({ level: z.enum(SHARE_LEVELS) });

const CreditsSchema = z.number().int().min(0).max(1_000_000);
const MaxEnvironmentsSchema = z.number().int().min(0).max(10_000);
const TypeNamesSchema = z.array(z.string().min(1).max(64)).max(100);

export const OrgQuotaSchema = z
  .object({
    credits: z.number().int().describe('The credit pool its members draw on while their environments run'),
    creditsUsed: z.number().int(),
    creditsLeft: z.number().int(),
    memberCreditCap: z.number().int().nullable().describe('The most one member may draw on the pool; null: no cap'),
    allowedTypes: z.array(z.string()).describe('Machine types new environments may have (private ones too, when the ceiling allows them)'),
    maxEnvironments: z.number().int(),
    environments: z.number().int().describe('Environments it has (not deleted)'),
    idleTimeoutMinutes: z.number().int().describe('A running environment nobody used for this long stops; 0: never'),
    assistantUsesPerDay: z.number().int().describe('AI assistant requests a member may make per UTC day, unless the member has a limit of their own'),
    ceiling: z
      .object({ credits: z.number().int(), maxEnvironments: z.number().int(), allowedTypes: z.array(z.string()) })
      .describe('What the instance admin allows it; its owners and admins choose within'),
  })
  .meta({ id: 'OrgQuota' });

export const UpdateOrgQuotaBodySchema = z.strictObject({
  credits: CreditsSchema.optional(),
  memberCreditCap: CreditsSchema.nullable().optional(),
  allowedTypes: TypeNamesSchema.optional(),
  maxEnvironments: MaxEnvironmentsSchema.optional(),
  idleTimeoutMinutes: z.number().int().min(0).max(10_080).optional(),
  assistantUsesPerDay: AssistantUsesPerDaySchema.optional(),
});

export const OrgCeilingBodySchema = z.strictObject({
  credits: CreditsSchema.optional(),
  allowedTypes: TypeNamesSchema.optional(),
  maxEnvironments: MaxEnvironmentsSchema.optional(),
});

export type OrgQuota = z.infer<typeof OrgQuotaSchema>;
export type UpdateOrgQuotaBody = z.infer<typeof UpdateOrgQuotaBodySchema>;
export type OrgCeilingBody = z.infer<typeof OrgCeilingBodySchema>;
export type OrgRole = (typeof ORG_ROLES)[number];
export type OrgStatus = (typeof ORG_STATUSES)[number];
export type Organization = z.infer<typeof OrganizationSchema>;
export type CreateOrgBody = z.infer<typeof CreateOrgBodySchema>;
export type Member = z.infer<typeof MemberSchema>;
export type Invitation = z.infer<typeof InvitationSchema>;
export type CreatedInvitation = z.infer<typeof CreatedInvitationSchema>;
export type CreateInvitationBody = z.infer<typeof CreateInvitationBodySchema>;
export type Team = z.infer<typeof TeamSchema>;
export type Share = z.infer<typeof ShareSchema>;
