CREATE TABLE "e2b_sandboxes" (
	"environment_id" uuid PRIMARY KEY NOT NULL,
	"template_id" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"env_vars" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"end_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "origin" text DEFAULT 'berth' NOT NULL;--> statement-breakpoint
ALTER TABLE "installation" ADD COLUMN "secret" text;--> statement-breakpoint
ALTER TABLE "e2b_sandboxes" ADD CONSTRAINT "e2b_sandboxes_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "e2b_sandboxes_end_at_idx" ON "e2b_sandboxes" USING btree ("end_at");