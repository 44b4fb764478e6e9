ALTER TABLE "templates" ADD COLUMN "dockerfile" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "start_command" text;