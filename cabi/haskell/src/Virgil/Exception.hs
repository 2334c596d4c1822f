{-# LANGUAGE ExistentialQuantification #-}
{-# LANGUAGE FlexibleContexts #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | Structured exceptions (ABI.md sections 6 and 7.1): the exception record, the reply envelope,
-- the conversion of any Haskell 'SomeException' into a record, and the ways guest code raises
-- named exceptions, adds context and gives its own exception types attributes.
--
-- How a 'SomeException' becomes a record:
--
-- * @name@ is a standard name of ABI.md section 7.1 for the standard exceptions
--   ('IOException' by its 'IOErrorType' and errno, 'ArithException' by its constructor),
--   'exceptionName' for an 'Attributed' type, the name given to 'raise', the cause's name for a
--   'withContext' level, and otherwise the exception's type from 'Typeable' (@ErrorCall@,
--   @QuotaError@);
-- * @message@ is 'displayException' (for 'ErrorCall' the message without its location, for
--   'userError' its text, for 'withContext' the context's text);
-- * @traceback@ comes from the 'CallStack' of 'raise' / 'raiseFrom' / 'withContext' /
--   'throwCaused', or from the location that @error@ attaches to an 'ErrorCall'; oldest call
--   first; frames of the kit's own @Virgil.*@ modules never appear;
-- * @cause@ comes from 'raiseFrom', 'withContext', 'throwCaused' and 'wrapException', and a
--   record that crossed from another language keeps its own chain;
-- * @attributes@ are @errno@ and @filename@ for an 'IOException', and 'exceptionAttributes' for
--   an 'Attributed' type.
--
-- The kit's exception layer, bottom up: "Virgil.Exception.Names" (the framework's names),
-- "Virgil.Exception.Record" (records, their wire form, limits and text),
-- "Virgil.Exception.Frames" (tracebacks from call stacks), "Virgil.Exception.Standard" (the
-- standard names of section 7.1), and this module (raising, attributes, converting), which
-- re-exports them.
module Virgil.Exception
  ( -- * Records
    Frame (..)
  , ExceptionRecord (..)
  , Envelope (..)
  , exceptionRecord
  , language
  , maxChain
  , maxTraceback
  , maxAttributes
  , lookupAttribute
    -- * Text
  , levelText
  , chainText
  , renderException
    -- * Raising
  , VirgilException (..)
  , raise
  , raiseFrom
  , virgilError
  , Context (..)
  , withContext
  , Caused (..)
  , throwCaused
  , wrapException
  , Annotated (..)
  , annotate
    -- * Attributes of your own exception types
  , Attributed (..)
  , SomeAttributed (..)
  , attributedToException
  , attributedFromException
  , recordAttributes
    -- * Standard names (ABI.md section 7.1)
  , errnoName
  , ioExceptionName
  , arithExceptionName
  , foreignException
    -- * Converting
  , toExceptionRecord
  , withUserFrame
  , isGlueFrame
  , callStackFrames
  , parseCallStackText
  , limitRecord
  , exceptionTypeName
  , AllocationFailed (..)
    -- * Framework names (ABI.md section 7)
  , module Virgil.Exception.Names
  ) where

import Control.Exception
import Data.Text (Text)
import qualified Data.Text as T
import Data.Typeable (cast, typeOf)
import GHC.Generics (Generic, Rep)
import GHC.Stack (CallStack, HasCallStack, callStack)
import Virgil.Box (AllocationFailed (..))
import Virgil.Exception.Frames
import Virgil.Exception.Names
import Virgil.Exception.Record
import Virgil.Exception.Standard
import Virgil.Msgpack

------------------------------------------------------------------------------------------------
-- Raising

-- | An exception with a name of the guest's choosing (@ValueError@, @OverflowError@), a message,
-- an optional cause, notes and the call stack where it was raised. Use 'raise', 'raiseFrom' and
-- 'virgilError' rather than the constructor, so that the call stack is filled in.
--
-- 'show' is its message (or name when the message is empty); 'displayException' the whole
-- story with its causes and frames.
data VirgilException = VirgilException
  { virgilName :: Text
  , virgilMessage :: Text
  , virgilCause :: Maybe SomeException
  , virgilNotes :: [Text]
  , virgilCallStack :: CallStack
  }

instance Show VirgilException where
  show e = T.unpack (if T.null (virgilMessage e) then virgilName e else virgilMessage e)

instance Exception VirgilException where
  displayException = T.unpack . renderException . toExceptionRecord . toException

-- | Throws a named exception, recording the call stack:
-- @raise "ValueError" "stats of an empty list"@.
raise :: HasCallStack => Text -> Text -> IO a
raise name msg = throwIO (VirgilException name msg Nothing [] callStack)

-- | Throws a named exception caused by another one.
raiseFrom :: (HasCallStack, Exception e) => Text -> Text -> e -> IO a
raiseFrom name msg cause = throwIO (VirgilException name msg (Just (toException cause)) [] callStack)

-- | 'raise' for pure code, like 'error'.
virgilError :: HasCallStack => Text -> Text -> a
virgilError name msg = throw (VirgilException name msg Nothing [] callStack)

-- | A transparent context level (see 'withContext'): its text, the exception it wraps and the
-- call stack where the context was added. It has no name of its own: its record takes the
-- name of its cause.
data Context = Context Text SomeException CallStack

instance Show Context where
  show (Context msg _ _) = T.unpack msg

instance Exception Context where
  displayException = T.unpack . renderException . toExceptionRecord . toException

-- | Runs an action and wraps any synchronous exception it throws in a context level, the way
-- Go's @fmt.Errorf("load config: %w", err)@ does: the level's message is the text, its name is
-- its cause's name (so a missing file is still a @FileNotFoundError@ however many contexts
-- were added), its cause the original exception, its frame where 'withContext' was called.
-- Asynchronous exceptions pass through.
--
-- > loadConfig :: HasCallStack => FilePath -> IO ByteString
-- > loadConfig path = withContext "load config" (BS.readFile path)
--
-- Handlers in Haskell code see a 'Context'; its second field is the original exception.
withContext :: HasCallStack => Text -> IO a -> IO a
withContext msg action = action `catch` \(ex :: SomeException) ->
  case fromException ex :: Maybe SomeAsyncException of
    Just _ -> throwIO ex
    Nothing -> throwIO (Context msg ex callStack)

-- | Any exception, thrown with a cause and the call stack where it was thrown: its name and
-- message come from the wrapped exception, as if it had been thrown itself.
data Caused = forall e. Exception e => Caused e SomeException CallStack

instance Show Caused where
  show (Caused e _ _) = displayException e

instance Exception Caused where
  displayException (Caused e _ _) = displayException e

-- | Throws @e@ with @cause@ as its cause: @throwCaused (userError "load failed") ioErr@.
throwCaused :: (HasCallStack, Exception e, Exception c) => e -> c -> IO a
throwCaused e cause = throwIO (Caused e (toException cause) callStack)

-- | Runs an action and rethrows any synchronous exception it throws as @wrap ex@, caused by
-- @ex@. Asynchronous exceptions pass through.
wrapException :: (HasCallStack, Exception e) => (SomeException -> e) -> IO a -> IO a
wrapException wrap action = action `catch` \(ex :: SomeException) ->
  case fromException ex :: Maybe SomeAsyncException of
    Just _ -> throwIO ex
    Nothing -> throwIO (Caused (wrap ex) ex callStack)

-- | An exception with notes added (the record's @notes@).
data Annotated = Annotated [Text] SomeException

instance Show Annotated where
  show (Annotated _ e) = displayException e

instance Exception Annotated where
  displayException (Annotated _ e) = displayException e

-- | Adds a note to any exception the action throws.
annotate :: Text -> IO a -> IO a
annotate note action = action `catch` \(ex :: SomeException) -> case fromException ex of
  Just (Annotated notes inner) -> throwIO (Annotated (notes ++ [note]) inner)
  Nothing -> throwIO (Annotated [note] ex)

------------------------------------------------------------------------------------------------
-- Attributes of the user's own exception types

-- | An exception type of your own whose records carry attributes (and, if you like, a name
-- other than its type's). Join it to the kit's hierarchy in its 'Exception' instance, so the
-- kit can find the attributes of a thrown value and handlers still catch it by its own type:
--
-- > data QuotaError = QuotaError {code :: Int, reason :: String}
-- >   deriving stock (Show, Generic)
-- >
-- > instance Exception QuotaError where
-- >   toException = attributedToException
-- >   fromException = attributedFromException
-- >
-- > instance Attributed QuotaError where
-- >   exceptionAttributes = recordAttributes   -- {"code": 7, "reason": "disk full"}
--
-- Without the two lines in the 'Exception' instance the exception still crosses, named by its
-- type, but without attributes.
class Exception e => Attributed e where
  -- | The record's attributes (ABI.md section 6): any keys, values as 'Value'. Default: none.
  exceptionAttributes :: e -> [(Text, Value)]
  exceptionAttributes _ = []

  -- | The record's name. Default: the type's name ('exceptionTypeName').
  exceptionName :: e -> Text
  exceptionName = exceptionTypeName

-- | Any 'Attributed' exception, the parent of those types in the exception hierarchy.
data SomeAttributed = forall e. Attributed e => SomeAttributed e

instance Show SomeAttributed where
  show (SomeAttributed e) = show e

instance Exception SomeAttributed where
  displayException (SomeAttributed e) = displayException e

-- | 'toException' for an 'Attributed' type.
attributedToException :: Attributed e => e -> SomeException
attributedToException = toException . SomeAttributed

-- | 'fromException' for an 'Attributed' type.
attributedFromException :: Attributed e => SomeException -> Maybe e
attributedFromException se = do
  SomeAttributed e <- fromException se
  cast e

-- | A record type's fields as attributes, keyed by field name (a generic 'exceptionAttributes'
-- for any record whose fields are 'ToMsgpack').
recordAttributes :: (Generic e, GToRecord (Rep e)) => e -> [(Text, Value)]
recordAttributes e = case genericToMsgpack id e of
  Map kvs -> [(k, v) | (Str k, v) <- kvs]
  _ -> []

------------------------------------------------------------------------------------------------
-- Converting

-- | The record of any exception, its causes included, within the limits of a chain of
-- 'maxChain' records, tracebacks of 'maxTraceback' frames and 'maxAttributes' attributes (cut
-- with a note when longer). Frames of the kit's own modules ('isGlueFrame') are left out.
toExceptionRecord :: SomeException -> ExceptionRecord
toExceptionRecord = limitRecord . describe

describe :: SomeException -> ExceptionRecord
describe se
  | Just (r :: ExceptionRecord) <- fromException se = r
  | Just (VirgilException name msg cause notes stack) <- fromException se =
      ExceptionRecord name msg language (callStackFrames stack) (describe <$> cause) notes []
  | Just (Context msg inner stack) <- fromException se =
      let c = describe inner
       in ExceptionRecord (excName c) msg language (callStackFrames stack) (Just c) [] []
  | Just (Caused e cause stack) <- fromException se =
      let base = describe (toException e)
          frames = callStackFrames stack
       in base
            { excTraceback = if null frames then excTraceback base else frames
            , excCause = Just (describe cause)
            }
  | Just (Annotated notes inner) <- fromException se =
      let base = describe inner in base {excNotes = excNotes base ++ notes}
  | Just (SomeAttributed e) <- fromException se =
      (exceptionRecord (exceptionName e) (T.pack (displayException e)))
        {excAttributes = sortAttributes (exceptionAttributes e)}
  | Just (ErrorCallWithLocation msg loc) <- fromException se =
      ExceptionRecord "ErrorCall" (T.pack msg) language (filter (not . isGlueFrame) (parseCallStackText loc)) Nothing [] []
  | Just (e :: IOException) <- fromException se = ioRecord e
  | Just (e :: ArithException) <- fromException se =
      exceptionRecord (arithExceptionName e) (T.pack (displayException e))
  | Just (EncodeError msg) <- fromException se = exceptionRecord resultErrorName msg
  | Just (LimitExceeded msg) <- fromException se = exceptionRecord limitExceededName msg
  | Just e@(AllocationFailed _) <- fromException se =
      exceptionRecord outOfMemoryName (T.pack (displayException e))
  | Just HeapOverflow <- fromException se =
      exceptionRecord outOfMemoryName "the Haskell heap is exhausted (heap overflow)"
  | Just (SomeAsyncException e) <- fromException se =
      exceptionRecord (exceptionTypeName e) (T.pack (displayException e))
  | SomeException e <- se = exceptionRecord (exceptionTypeName e) (T.pack (displayException e))

-- | The name of an exception's type: @ErrorCall@, @QuotaError@.
exceptionTypeName :: Exception e => e -> Text
exceptionTypeName = T.pack . show . typeOf
