ALTER TABLE "environments" ADD COLUMN "node_id" text;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "move_to_node_id" text;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "node_labels" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "machine_types" ADD COLUMN "node_labels" jsonb DEFAULT '{}'::jsonb NOT NULL;