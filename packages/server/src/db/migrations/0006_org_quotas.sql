CREATE TABLE "org_quotas" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"credits" integer NOT NULL,
	"member_credit_cap" integer,
	"allowed_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"max_environments" integer NOT NULL,
	"idle_timeout_minutes" integer DEFAULT 60 NOT NULL,
	"ceiling_credits" integer NOT NULL,
	"ceiling_max_environments" integer NOT NULL,
	"ceiling_allowed_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "scope" text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "org_id" uuid;--> statement-breakpoint
ALTER TABLE "org_quotas" ADD CONSTRAINT "org_quotas_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_org_idx" ON "audit_log" USING btree ("org_id","id") WHERE "audit_log"."org_id" is not null;--> statement-breakpoint
-- Organizations made before quotas get the defaults a new one gets (the org_default_* config flags' defaults).
INSERT INTO "org_quotas" ("org_id", "credits", "max_environments", "allowed_types", "ceiling_credits", "ceiling_max_environments", "ceiling_allowed_types")
SELECT o."id", 10, 10, t."names", 10, 10, t."names"
FROM "organizations" o, (SELECT coalesce(array_agg("name" ORDER BY "name"), '{}'::text[]) AS "names" FROM "machine_types" WHERE NOT "private") t
WHERE NOT o."personal";
