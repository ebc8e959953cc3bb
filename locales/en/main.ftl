# normverk – English

skip-to-content = Skip to main content
nav-main-label = Main menu
nav-user-label = User menu
nav-dashboard = Overview
nav-units = Units
nav-members = People and roles
nav-tokens = API tokens
logout = Log out
org-switch-label = Organisation
org-switch-button = Switch
language-label = Language
language-button = Change language
footer-text = normverk – management system for information security and privacy under Normen

role-admin = Administrator
role-top-management = Top management
role-security-lead = Security lead
role-dpo = Data protection officer
role-manager = Manager
role-employee = Employee
role-auditor = Auditor (read-only)

scope-org-read = Read the organisation's data
scope-org-write = Change the organisation's structure

org-kind-regional-health-authority = Regional health authority
org-kind-health-trust = Health trust
org-kind-municipality = Municipality
org-kind-gp-office = GP office
org-kind-private-practice = Private practice
org-kind-private-hospital = Private hospital or clinic
org-kind-pharmacy = Pharmacy
org-kind-supplier = Supplier or data processor
org-kind-other = Other organisation

form-has-errors = The form has errors. See the messages by the fields below.
error-required = This field is required.
error-too-long = The text is too long.
error-control-chars = The text contains invalid characters.
error-org-number-length = The organisation number must have exactly 9 digits (you typed { $count }).
error-org-number-digits = The organisation number may contain digits only.
error-org-number-check = This is not a valid organisation number: the check digit does not match. Check the number in the Central Coordinating Register.
error-choose-one = Choose one of the options.
error-email = Enter a valid e-mail address, for example name@organisation.no.
error-password-mismatch = The passwords do not match.
error-password-short = The password must have at least { $min } characters. Several words work well.
error-choose-role = Choose at least one role.
error-last-admin = The organisation must keep at least one administrator.
error-choose-scope = Choose at least one permission.
error-current-password = The current password is wrong.

error-status = Error code { $status }
error-home = Go to the front page
error-400-title = The request could not be processed
error-400-message = Something in the request was invalid. Go back and try again.
error-403-title = Access denied
error-403-message = You do not have access to this page. Ask an administrator of your organisation if you need access.
error-404-title = Page not found
error-404-message = The page does not exist, or you do not have access to it.
error-413-title = Too much data
error-413-message = What you sent is larger than allowed.
error-500-title = Something went wrong
error-500-message = An error occurred on our side. It has been logged. Please try again shortly.
error-csrf-title = The form has expired
error-csrf-message = The form could not be sent because its security token was missing or expired. Reload the page and try again.
error-no-org-title = No organisation
error-no-org-message = Your account is not linked to any organisation. Contact an administrator.

setup-title = Set up normverk
setup-intro = Create the organisation and your own administrator account. The link works once and for one hour.
setup-org-legend = The organisation
setup-admin-legend = Your administrator account
setup-submit = Create organisation and account
setup-unavailable-title = The setup link cannot be used
setup-already-done = normverk is already set up. Log in with your account.
setup-link-used = This setup link has already been used.
setup-link-expired = This setup link has expired. Restart normverk to get a new link.
setup-link-unknown = The setup link is invalid. Use the link printed when normverk started.

field-org-name = Organisation name
field-org-number = Organisation number
field-org-number-hint = 9 digits, as in the Central Coordinating Register.
field-org-kind = Kind of organisation
field-name = Name
field-email = E-mail
field-password = Password
field-password-hint = At least 12 characters. A sentence of several words is easy to remember and hard to guess.
field-password-confirm = Repeat the password
field-current-password = Current password
field-new-password = New password
field-initial-password = First password
field-initial-password-hint = For new users only. Give the password to the person securely; they should change it.
field-roles = Roles
field-created = Created
field-unit-name = Unit
field-unit-parent = Belongs under
field-token-name = Token name
field-scopes = Permissions

login-title = Log in
login-submit = Log in
login-failed = Wrong e-mail or password.
login-throttled = Too many failed attempts. Wait { $minutes } minutes before trying again.
login-not-set-up = normverk has not been set up yet. Use the setup link printed when normverk started.

dashboard-title = Overview
dashboard-your-roles = Your roles
dashboard-facts = The organisation
dashboard-units = units
dashboard-members = people
dashboard-tokens = active API tokens

units-title = Units
units-intro = The organisation's structure: clinics, departments, sections and other units.
units-empty = No units have been registered yet.
units-new = New unit
units-no-parent = (top level)
units-create = Create unit
unit-path = Place
unit-children = Sub-units
unit-no-children = No sub-units.
unit-delete = Delete the unit
unit-delete-confirm = Delete this unit?
unit-has-children = The unit has sub-units. Delete or move them first.

members-title = People and roles
members-add = Add a person
members-add-intro = If the person already uses normverk, e-mail and roles are enough.
members-add-submit = Add
member-already = The person is already a member. Change their roles on their page.
member-disabled = disabled
member-roles-heading = Roles in the organisation
member-roles-hint = Removing every role removes the person from the organisation.
member-roles-save = Save roles
member-roles-saved = The roles have been saved.
member-reset-heading = Reset password
member-reset-hint = The person is logged out everywhere and must use the new password.
member-reset-submit = Set new password
member-password-reset = The password has been changed and the person has been logged out.

member-units-heading = Units this person manages
member-units-legend = Manager of
member-units-save = Save units
member-units-saved = The units have been saved.

tokens-title = API tokens
tokens-intro = Machines, such as record systems and SMS services, use API tokens. A token works only for this organisation and only with the permissions you choose.
tokens-created = The token has been created. Copy it now – it is shown this one time only.
tokens-created-label = New API token
tokens-empty = No API tokens have been created.
tokens-last-used = Last used
tokens-status = Status
tokens-never-used = Never
tokens-revoked-at = Revoked { $when }
tokens-revoke = Revoke
tokens-revoke-named = Revoke the token { $name }
tokens-revoke-confirm = Revoke this token? Systems using it lose access.
tokens-new = New API token
tokens-create = Create token

account-title = My account
account-orgs = Organisations and roles
account-password = Change password
account-password-submit = Change password
account-password-changed = The password has been changed. Other sessions have been logged out.
