DROP INDEX "warm_pools_target_key";--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "runtime_class" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "machine_types" ADD COLUMN "runtime_class" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "runtime_class" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "warm_pools" ADD COLUMN "runtime_class" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "warm_pools_target_key" ON "warm_pools" USING btree ("machine_type",coalesce("template_id"::text, ''),coalesce("image", ''),"runtime_class");