CREATE TABLE "environment_ports" (
	"environment_id" uuid NOT NULL,
	"port" integer NOT NULL,
	"sharing" text DEFAULT 'owner' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "environment_ports_environment_id_port_pk" PRIMARY KEY("environment_id","port")
);
--> statement-breakpoint
CREATE TABLE "preview_grants" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"environment_id" uuid NOT NULL,
	"port" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "egress" text DEFAULT 'internet' NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "egress_allow" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "environment_ports" ADD CONSTRAINT "environment_ports_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "preview_grants" ADD CONSTRAINT "preview_grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "preview_grants" ADD CONSTRAINT "preview_grants_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "preview_grants_expires_idx" ON "preview_grants" USING btree ("expires_at");