CREATE TABLE "warm_pools" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"machine_type" text NOT NULL,
	"template_id" uuid,
	"image" text,
	"size" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "environments" ALTER COLUMN "owner_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ALTER COLUMN "org_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "pool_id" uuid;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "pool_version" text;--> statement-breakpoint
CREATE UNIQUE INDEX "warm_pools_target_key" ON "warm_pools" USING btree ("machine_type",coalesce("template_id"::text, ''),coalesce("image", ''));--> statement-breakpoint
CREATE INDEX "environments_pool_idx" ON "environments" USING btree ("pool_id","pool_version") WHERE "environments"."owner_id" is null;--> statement-breakpoint
ALTER TABLE "environments" ADD CONSTRAINT "environments_owned_or_pooled" CHECK (("environments"."owner_id" is not null and "environments"."org_id" is not null) or "environments"."pool_id" is not null);