import type { CreateUserBody, User } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { useCreateUser } from './admin.queries.js';
import { CheckboxField, TextField } from '../../components/Field.js';
import { describeError } from '../../api/describe-error.js';
import { FormActions } from './FormActions.js';

const PASSWORD_MIN_LENGTH = 12;
const FIELDS = ['username', 'email', 'password', 'isAdmin'] as const;

export function UserCreateForm({ onCreated, onCancel }: { onCreated: (user: User) => void; onCancel: () => void }) {
  const create = useCreateUser();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const server = describeError(create.error, FIELDS);
  const errors = { ...server.fields, ...localErrors };

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // Checked here too so the common mistake gets a friendly message without a round trip.
    const local: Record<string, string> = {};
    if (!username.trim()) local.username = 'Enter a username.';
    if (password.length < PASSWORD_MIN_LENGTH) local.password = `At least ${PASSWORD_MIN_LENGTH} characters.`;
    setLocalErrors(local);
    if (Object.keys(local).length > 0) {
      create.reset();
      return;
    }
    const body: CreateUserBody = { username: username.trim(), password, isAdmin };
    if (email.trim()) body.email = email.trim();
    create.mutate(body, { onSuccess: onCreated });
  }

  return (
    <form className="card admin-form" aria-label="New user" onSubmit={submit} noValidate>
      <h3>New user</h3>
      <div className="admin-grid">
        <TextField label="Username" name="username" autoComplete="off" required value={username} onChange={(e) => setUsername(e.target.value)} error={errors.username} />
        <TextField label="Email" name="email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} hint="Optional" />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          hint={`At least ${PASSWORD_MIN_LENGTH} characters`}
        />
      </div>
      <CheckboxField label="Admin" name="isAdmin" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} error={errors.isAdmin} />
      <FormActions submit="Create user" pendingLabel="Creating…" pending={create.isPending} onCancel={onCancel} error={Object.keys(localErrors).length > 0 ? null : server.message} />
    </form>
  );
}
